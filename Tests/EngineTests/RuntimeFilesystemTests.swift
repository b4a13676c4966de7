import EngineTestSupport
import Foundation
import Monitor
import SystemSupport
import Testing
@testable import Engine

/// Containers on the image store's overlay layers (mounted inside their own namespace), diff, export, log rotation.
@Suite("RuntimeFilesystem", .serialized)
struct RuntimeFilesystemTests {
    @Test func overlayRootfsDiffExportAndCopyWhenStopped() async throws {
        try await withRuntimeBed { bed in
            let image = try bed.busybox()
            var spec = ContainerSpec(image: "busybox", command: ["sh", "-c", "echo new > /added; echo x >> /etc/passwd; rm /bin/vi; mkdir /made"])
            spec.name = "layered"
            let result = try await bed.run(spec, image: image)
            #expect(result.code == 0)
            let changes = try await bed.service.diff("layered")
            #expect(changes.contains(FilesystemChange(kind: .added, path: "/added")))
            #expect(changes.contains(FilesystemChange(kind: .changed, path: "/etc/passwd")))
            #expect(changes.contains(FilesystemChange(kind: .deleted, path: "/bin/vi")))
            #expect(changes.contains(FilesystemChange(kind: .added, path: "/made")))
            // No mount of the container is left on the host.
            #expect(!(try MountTable.current()).contains(bed.directory))

            let tarPath = bed.directory + "/export.tar"
            let fd = open(tarPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            try await bed.service.export("layered", to: fd)
            close(fd)
            let listing = try runCommand(["tar", "-tf", tarPath]).output
            #expect(listing.contains("./added"))
            #expect(listing.contains("./bin/busybox"))
            #expect(!listing.contains("./bin/vi\n"))

            let out = bed.directory + "/copied"
            try await bed.service.copyOut("layered", from: "/added", to: out)
            #expect(try String(contentsOfFile: out, encoding: .utf8) == "new\n")
            #expect(!(try MountTable.current()).contains(bed.directory))
        }
    }

    @Test func logsRotateAtMaxSize() async throws {
        try await withRuntimeBed { bed in
            var spec = ContainerSpec(image: "busybox", command: ["sh", "-c", "i=0; while [ $i -lt 300 ]; do echo line-$i-padding-padding-padding; i=$((i+1)); done"])
            spec.logging.options = ["max-size": "4k", "max-file": "3"]
            let result = try await bed.run(spec)
            #expect(result.code == 0)
            let log = ContainerPaths(state: bed.state, id: result.id).log
            let sizes = [log, log + ".1", log + ".2"].map { (try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) ?? nil }
            #expect(sizes.allSatisfy { $0 != nil && $0! <= 4096 })
            #expect(!FileManager.default.fileExists(atPath: log + ".3"))
            let lines = await collectLogs(bed, result.id)
            #expect(lines.last?.text == "line-299-padding-padding-padding\n")
            #expect(lines.count < 300 && lines.count > 50)
            let tail = try await bed.service.logs(result.id, options: LogOptions(tail: 2))
            var tailed: [String] = []
            for await entry in tail { tailed.append(entry.text) }
            #expect(tailed == ["line-298-padding-padding-padding\n", "line-299-padding-padding-padding\n"])
        }
    }

    @Test func joinsTheNetworkNamespaceTheNetworkLayerHandsIt() async throws {
        try await withRuntimeBed { bed in
            let network = NetworkManager(state: bed.state)
            let sandbox = try network.createSandbox(containerID: "rt-net-\(getpid())")
            defer { try? network.removeSandbox(containerID: "rt-net-\(getpid())") }
            var info = stat()
            #expect(stat(sandbox, &info) == 0)
            var spec = ContainerSpec(image: "busybox", command: ["readlink", "/proc/self/ns/net"])
            spec.networkNamespacePath = sandbox
            let inside = try await bed.run(spec)
            #expect(inside.out == "net:[\(info.st_ino)]\n")
            let own = try await bed.run(ContainerSpec(image: "busybox", command: ["sh", "-c", "cat /proc/net/dev; ping -c1 -W1 127.0.0.1 >/dev/null && echo lo-up"]))
            #expect(own.out.contains("lo-up"))
        }
    }
}

@Suite("RuntimeVolumesAndPrivileges", .serialized)
struct RuntimeVolumesAndPrivilegesTests {
    @Test func emptyVolumeIsPopulatedFromTheImageOnce() async throws {
        try await withRuntimeBed { bed in
            let image = try bed.busybox()
            let rootfs = try bed.upper(image)
            try FileManager.default.createDirectory(atPath: rootfs + "/srv/seed/sub", withIntermediateDirectories: true)
            try "seeded\n".write(toFile: rootfs + "/srv/seed/sub/file", atomically: true, encoding: .utf8)
            let volume = bed.directory + "/volume"
            try FileManager.default.createDirectory(atPath: volume, withIntermediateDirectories: true)
            #expect(try await bed.service.populateVolume(volume, from: image, path: "/srv/seed"))
            #expect(try String(contentsOfFile: volume + "/sub/file", encoding: .utf8) == "seeded\n")
            #expect(try await !bed.service.populateVolume(volume, from: image, path: "/srv/seed"))  // not empty any more
            var spec = ContainerSpec(image: "busybox", command: ["cat", "/srv/seed/sub/file"])
            spec.mounts = [ContainerSpec.MountSpec(kind: .volume, source: volume, target: "/srv/seed")]
            #expect(try await bed.run(spec, image: image).out == "seeded\n")
        }
    }

    @Test func privilegedGetsTheWholeBoundingSetAndNoSeccomp() async throws {
        try await withRuntimeBed { bed in
            var spec = ContainerSpec(image: "busybox", command: ["sh", "-c", "grep -E '^(CapEff|Seccomp):' /proc/self/status; ls /dev | grep -c ."])
            spec.privileged = true
            let result = try await bed.run(spec)
            let bounding = String(Capabilities.bounding(), radix: 16)
            #expect(result.out.contains("CapEff:\t" + String(repeating: "0", count: 16 - bounding.count) + bounding))
            #expect(result.out.contains("Seccomp:\t0"))
            #expect(result.code == 0)
        }
    }
}

@Suite("RuntimeCommit", .serialized)
struct RuntimeCommitTests {
    @Test func aCommittedImageRuns() async throws {
        try await withRuntimeBed { bed in
            var spec = ContainerSpec(image: "busybox", command: ["sh", "-c", "echo made-inside > /greeting"])
            spec.environment = ["GREETING_FILE": "/greeting"]
            spec.name = "source"
            let made = try await bed.run(spec)
            #expect(made.code == 0)
            let image = try await bed.service.commit("source", as: "committed:v1")
            #expect(!image.id.isEmpty)
            var next = ContainerSpec(image: "committed:v1", command: ["sh", "-c", "cat $GREETING_FILE"])
            next.name = "from-commit"
            let result = try await bed.run(next, image: try ImageStore(state: bed.state).containerImage("committed:v1"))
            #expect(result.code == 0)
            #expect(result.out == "made-inside\n")
        }
    }
}
