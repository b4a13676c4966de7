import Foundation
import Monitor
import SystemSupport
@testable import Engine

/// A fresh state root under /tmp, a container service on it, and a busybox rootfs;
/// `cleanUp` force-removes every container the test made and deletes the directory.
final class RuntimeTestBed: @unchecked Sendable {
    let directory: String
    let service: ContainerService
    let state: StateRoot

    init() throws {
        directory = "/tmp/scrt-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        try makeDirectories(directory)
        state = StateRoot(root: directory + "/root", run: directory + "/run")
        service = ContainerService(state: state)
    }

    /// A busybox-static image as a plain directory rootfs (applets linked, a user `app`).
    func busybox(config: ContainerImage.Config = ContainerImage.Config(cmd: ["sh"])) throws -> ContainerImage {
        let rootfs = directory + "/busybox-rootfs"
        if !FileManager.default.fileExists(atPath: rootfs + "/bin/busybox") {
            let fm = FileManager.default
            for sub in ["bin", "etc", "tmp", "proc", "sys", "dev", "root", "home/app"] {
                try fm.createDirectory(atPath: "\(rootfs)/\(sub)", withIntermediateDirectories: true)
            }
            try fm.copyItem(atPath: "/bin/busybox", toPath: rootfs + "/bin/busybox")
            let list = try runCommand(["/bin/busybox", "--list"]).output
            for applet in list.split(separator: "\n") where applet != "busybox" {
                try? fm.createSymbolicLink(atPath: "\(rootfs)/bin/\(applet)", withDestinationPath: "busybox")
            }
            try "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
                .write(toFile: rootfs + "/etc/passwd", atomically: true, encoding: .utf8)
            try "root:x:0:\napp:x:1000:\nstaff:x:50:app\nnogroup:x:65534:\n"
                .write(toFile: rootfs + "/etc/group", atomically: true, encoding: .utf8)
        }
        return ContainerImage(reference: "busybox:test", id: "sha256:" + String(repeating: "0", count: 64),
                              config: config, rootfs: .directory(rootfs))
    }

    /// Creates and runs a container attached; returns (exit code, stdout, stderr).
    func run(_ spec: ContainerSpec, image: ContainerImage? = nil) async throws -> (code: Int32, out: String, err: String, id: String) {
        let record = try await service.create(spec, image: image ?? busybox())
        let session = try await service.startAttached(record.id)
        let (code, out, err) = collect(session)
        return (code, out, err, record.id)
    }

    func collect(_ session: AttachSession) -> (Int32, String, String) {
        var out: [UInt8] = [], err: [UInt8] = []
        var code: Int32 = -1
        while let event = session.next() {
            switch event {
            case .output(let isErr, let bytes): if isErr { err += bytes } else { out += bytes }
            case .failed(let c, let message): code = c; err += Array(message.utf8)
            case .exited(let c): code = c
            case .started: break
            }
        }
        return (code, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    func cleanUp() async {
        for info in (try? await service.list(all: true)) ?? [] {
            try? await service.remove(info.id, force: true)
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Waits (bounded) until `condition` holds.
func eventually(_ seconds: Double = 10, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(nanoseconds: 50_000_000)
    }
    return try await condition()
}

/// Runs `body` on a fresh test bed and removes everything it made, also when it fails.
func withRuntimeBed(_ body: (RuntimeTestBed) async throws -> Void) async throws {
    let bed = try RuntimeTestBed()
    do { try await body(bed) } catch {
        await bed.cleanUp()
        throw error
    }
    await bed.cleanUp()
}
