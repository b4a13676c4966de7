import ComposeModel
import Engine
import EngineTestSupport
import Foundation
import SystemSupport
import Testing
@testable import Orchestrator

/// Volumes beyond the basics: local-driver options (tmpfs, bind), volumes_from, bind
/// sources that must exist, anonymous volumes kept on recreate or renewed with -V, and
/// the image's own VOLUMEs.
@Suite(.serialized) struct VolumeFeaturesTests {
    /// Runs `command` in the running replica of `service`; returns (exit code, output).
    func exec(_ bed: StackBed, _ service: String, _ command: [String]) async throws -> (Int32, String) {
        let info = try await bed.orchestrator.container(of: bed.name, service: service)
        let session = try await bed.orchestrator.containers.exec(info.id, options: ExecOptions(command: command))
        var output: [UInt8] = []
        var code: Int32 = -1
        while let event = session.next() {
            switch event {
            case .output(_, let bytes): output += bytes
            case .exited(let status): code = status
            case .failed(let status, let message): code = status; output += Array(message.utf8)
            case .started: break
            }
        }
        return (code, String(decoding: output, as: UTF8.self))
    }

    func forceRecreate(renew: Bool = false) -> UpOptions {
        var options = UpOptions()
        options.recreate = RecreatePolicy(force: true)
        options.renewAnonymousVolumes = renew
        options.stopTimeout = 0
        return options
    }

    @Test(.timeLimit(.minutes(2))) func driverOptionsVolumesFromAndBindSources() async throws {
        try await withStack { bed in
            let hostData = bed.directory + "/host-data"
            try makeDirectories(hostData)
            try "from the host\n".write(toFile: hostData + "/hello", atomically: true, encoding: .utf8)
            let project = try bed.project("""
                services:
                  writer:
                    image: busybox
                    init: true
                    command: sh -c 'echo written > /data/file; sleep 300'
                    volumes: [data:/data, scratch:/scratch, hostdata:/hostdata]
                  reader:
                    image: busybox
                    init: true
                    command: sleep 300
                    volumes_from: ["writer:ro"]
                    depends_on: [writer]
                volumes:
                  data:
                  scratch:
                    driver_opts: {type: tmpfs, device: tmpfs, o: "size=1m"}
                  hostdata:
                    driver_opts: {type: none, o: bind, device: \(hostData)}
                """)
            try await bed.orchestrator.up(project, UpOptions())
            #expect(try await exec(bed, "writer", ["grep", " /scratch tmpfs ", "/proc/mounts"]).0 == 0)
            #expect(try await exec(bed, "writer", ["cat", "/hostdata/hello"]).1 == "from the host\n")
            #expect(try await exec(bed, "writer", ["sh", "-c", "echo from the container > /hostdata/back"]).0 == 0)
            #expect(try await exec(bed, "reader", ["cat", "/data/file"]).1 == "written\n")
            #expect(try await exec(bed, "reader", ["sh", "-c", "echo no > /data/file"]).0 != 0, "volumes_from :ro is read-only")

            var down = DownOptions()
            down.removeVolumes = true
            down.timeout = 0
            try await bed.orchestrator.down(projectName: bed.name, project: project, down)
            // Removing the bind volume unmounted it: the host's files are all still there.
            #expect(try String(contentsOfFile: hostData + "/hello", encoding: .utf8) == "from the host\n")
            #expect(try String(contentsOfFile: hostData + "/back", encoding: .utf8) == "from the container\n")
            let mounts = try MountTable.current()
            #expect(!mounts.contains(bed.directory + "/root/volumes"))

            // A long-syntax bind whose source is missing and may not be created: a clear error, nothing created.
            let strict = try bed.project("""
                services:
                  app:
                    image: busybox
                    command: "true"
                    volumes:
                      - {type: bind, source: ./missing, target: /m, bind: {create_host_path: false}}
                """)
            do throws(OrchestratorError) {
                try await bed.orchestrator.up(strict, UpOptions())
                Issue.record("a missing bind source was accepted")
            } catch {
                #expect(error.message.contains("bind source path \(bed.directory)/project/missing does not exist"), "\(error.message)")
            }
            #expect(try await bed.orchestrator.ps(projectName: bed.name, all: true).isEmpty)
            #expect(!FileManager.default.fileExists(atPath: bed.directory + "/project/missing"))
        }
    }

    @Test(.timeLimit(.minutes(2))) func anonymousVolumesKeptOnRecreateRenewedWithV() async throws {
        try await withStack { bed in
            var request = BuildRequest(context: bed.directory + "/project")
            request.dockerfileInline = "FROM busybox\nRUN mkdir /vol && echo seeded > /vol/seed\nVOLUME /vol\n"
            request.tags = ["with-volume:1"]
            _ = try await ImageBuilder(state: bed.state).build(request)
            let project = try bed.project("""
                services:
                  app:
                    image: with-volume:1
                    init: true
                    command: sleep 300
                    volumes: [/cache]
                """)
            try await bed.orchestrator.up(project, UpOptions())
            // The image's VOLUME is an anonymous volume, filled from the image.
            #expect(try await exec(bed, "app", ["cat", "/vol/seed"]).1 == "seeded\n")
            #expect(try await exec(bed, "app", ["sh", "-c", "echo kept > /cache/a; echo kept > /vol/b"]).0 == 0)
            try await bed.orchestrator.up(project, forceRecreate())
            #expect(try await exec(bed, "app", ["cat", "/cache/a", "/vol/b"]).1 == "kept\nkept\n")
            try await bed.orchestrator.up(project, forceRecreate(renew: true))
            #expect(try await exec(bed, "app", ["ls", "/cache"]).1 == "")
            #expect(try await exec(bed, "app", ["ls", "/vol"]).1 == "seed\n")
        }
    }
}

extension VolumeFeaturesTests {
    @Test(.timeLimit(.minutes(2))) func externalReadOnlyTmpfsSizeInUseAndDownV() async throws {
        try await withStack { bed in
            let external = "ext-\(bed.name)"
            try makeDirectories(bed.directory + "/project/ro")
            let project = try bed.project("""
                services:
                  app:
                    image: busybox
                    init: true
                    command: sleep 300
                    volumes:
                      - data:/data
                      - ./ro:/ro:ro
                      - {type: tmpfs, target: /small, tmpfs: {size: 1048576}}
                      - ext:/ext
                volumes:
                  data:
                  ext: {external: true, name: \(external)}
                """)
            do {
                try await bed.orchestrator.up(project, UpOptions())
                Issue.record("a missing external volume was accepted")
            } catch {
                #expect("\(error)".contains("external volume \"\(external)\" not found"), "\(error)")
            }
            try bed.orchestrator.volumes.create(external)
            try await bed.orchestrator.up(project, UpOptions())
            #expect(try await exec(bed, "app", ["touch", "/ro/x"]).0 != 0, "a :ro bind is read-only")
            let fill = try await exec(bed, "app", ["dd", "if=/dev/zero", "of=/small/f", "bs=1024", "count=2048"])
            #expect(fill.0 != 0 && fill.1.contains("No space left"), "tmpfs size is enforced: \(fill.1)")

            // The CLI refuses to remove a volume a container uses.
            let environment = ["SWIFTCOMPOSE_ROOT": bed.directory + "/root", "SWIFTCOMPOSE_RUN": bed.directory + "/run"]
            let removal = try ExampleStackTests().run([ExampleStackTests.binary, "volume", "rm", "\(bed.name)_data"],
                                                      in: bed.directory, environment: environment)
            #expect(removal.status != 0 && removal.output.contains("in use"), "\(removal.output)")

            // down -v removes the project's volumes, never the external one.
            var down = DownOptions()
            down.removeVolumes = true
            down.timeout = 0
            try await bed.orchestrator.down(projectName: bed.name, project: project, down)
            #expect((try? bed.orchestrator.volumes.inspect("\(bed.name)_data")) == nil)
            #expect((try? bed.orchestrator.volumes.inspect(external)) != nil)
            try bed.orchestrator.volumes.remove(external)
        }
    }
}
