import ComposeModel
import Engine
import EngineTestSupport
import Foundation
import SystemSupport
import Testing
@testable import Orchestrator

/// A fresh state root with the busybox image, and a project written to a temporary directory.
final class StackBed: @unchecked Sendable {
    let directory: String
    let state: StateRoot
    let orchestrator: Orchestrator
    let name: String

    init() throws {
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        directory = "/tmp/scstack-\(getpid())-\(tag)"
        name = "t\(tag)"
        try makeDirectories(directory + "/project")
        state = StateRoot(root: directory + "/root", run: directory + "/run")
        orchestrator = Orchestrator(state: state)
        try BusyboxImage.make(in: orchestrator.images)
    }

    func project(_ yaml: String) throws -> Project {
        try yaml.write(toFile: directory + "/project/compose.yaml", atomically: true, encoding: .utf8)
        var options = LoadOptions(workingDirectory: directory + "/project", environment: [:])
        options.projectName = name
        return try ProjectLoader.load(options)
    }

    /// Removes everything the test made, also after a failure.
    func cleanUp() async {
        try? await orchestrator.down(projectName: name, project: nil, { var o = DownOptions(); o.removeVolumes = true; o.timeout = 0; o.removeOrphans = true; return o }())
        for info in (try? await orchestrator.containers.list(all: true)) ?? [] { try? await orchestrator.containers.remove(info.id, force: true) }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

func withStack(_ body: (StackBed) async throws -> Void) async throws {
    let bed = try StackBed()
    do { try await body(bed) } catch {
        await bed.cleanUp()
        throw error
    }
    await bed.cleanUp()
}

@Suite(.serialized) struct UpDownTests {
    @Test(.timeLimit(.minutes(1))) func downRemovesASandboxAKilledCommandLeftPinned() async throws {
        try await withStack { bed in
            let project = try bed.project("services:\n  app: {image: busybox, init: true, command: sleep 300}\n")
            try await bed.orchestrator.up(project, UpOptions())
            // An up killed after pinning a replica's namespace, before its container existed.
            let ghost = try bed.orchestrator.networks.createSandbox(containerID: "\(bed.name)-app-2")
            var options = DownOptions()
            options.timeout = 0
            try await bed.orchestrator.down(projectName: bed.name, project: project, options)
            let mounts = try MountTable.current()
            #expect(!mounts.contains(ghost), "the namespace is still pinned at \(ghost)")
            #expect(bed.orchestrator.networks.sandboxes().isEmpty)
        }
    }

    @Test(.timeLimit(.minutes(2))) func upStartsInOrderWithGatesAndDownRemovesAll() async throws {
        try await withStack { bed in
            let project = try bed.project("""
                services:
                  web:
                    image: busybox
                    command: ["httpd", "-f", "-p", "8080", "-h", "/srv"]
                    volumes: ["./site:/srv:ro", "data:/data"]
                    healthcheck: {test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"], interval: 500ms, retries: 20}
                  migrate:
                    image: busybox
                    command: sh -c 'echo migrated > /data/done'
                    volumes: ["data:/data"]
                  app:
                    image: busybox
                    command: sh -c 'cat /data/done; nslookup web; sleep 60'
                    volumes: ["data:/data"]
                    depends_on:
                      web: {condition: service_healthy}
                      migrate: {condition: service_completed_successfully}
                volumes:
                  data:
                """)
            try makeDirectories(bed.directory + "/project/site")
            try "<h1>up</h1>".write(toFile: bed.directory + "/project/site/index.html", atomically: true, encoding: .utf8)
            try await bed.orchestrator.up(project, UpOptions())
            let running = try await bed.orchestrator.ps(projectName: bed.name, all: true)
            #expect(running.map(\.name) == ["\(bed.name)-app-1", "\(bed.name)-migrate-1", "\(bed.name)-web-1"])
            #expect(running.first { $0.name.hasSuffix("web-1") }?.run.health == "healthy")
            let app = try #require(running.first { $0.name.hasSuffix("app-1") })
            #expect(app.labels[ComposeLabel.project] == bed.name)
            #expect(app.labels[ComposeLabel.configHash] == project.containerConfigHash(of: "app"))
            // The app read what the one-shot wrote and found web by name on the project network.
            #expect(try await eventually {
                let logs = await bed.orchestrator.lastLogLines(app.id, count: 20)
                return logs.contains("migrated") && logs.contains("Name:\tweb")
            })
            // A second up changes nothing that runs.
            try await bed.orchestrator.up(project, UpOptions())
            let again = try await bed.orchestrator.ps(projectName: bed.name, all: true)
            #expect(again.first { $0.name.hasSuffix("app-1") }?.id == app.id)

            var down = DownOptions()
            down.removeVolumes = true
            down.timeout = 0
            try await bed.orchestrator.down(projectName: bed.name, project: project, down)
            #expect(try await bed.orchestrator.ps(projectName: bed.name, all: true).isEmpty)
            #expect(try bed.orchestrator.networks.list().filter { $0.labels[ComposeLabel.project] == bed.name }.isEmpty)
            #expect(bed.orchestrator.volumes.list().filter { $0.labels[ComposeLabel.project] == bed.name }.isEmpty)
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: bed.state.runPath("netns"))) ?? []).isEmpty)
        }
    }

    @Test(.timeLimit(.minutes(2))) func changedConfigurationRecreatesAndScaleAddsReplicas() async throws {
        try await withStack { bed in
            let first = try bed.project("services:\n  worker:\n    image: busybox\n    command: sleep 60\n    init: true\n    environment: {VERSION: '1'}\n")
            try await bed.orchestrator.up(first, UpOptions())
            let before = try await bed.orchestrator.ps(projectName: bed.name, all: true)
            let second = try bed.project("services:\n  worker:\n    image: busybox\n    command: sleep 60\n    init: true\n    environment: {VERSION: '2'}\n    scale: 2\n")
            try await bed.orchestrator.up(second, UpOptions())
            let after = try await bed.orchestrator.ps(projectName: bed.name, all: true)
            #expect(after.map(\.name) == ["\(bed.name)-worker-1", "\(bed.name)-worker-2"])
            #expect(after[0].id != before[0].id, "a changed environment recreates the container")
            #expect(after.allSatisfy { $0.record.spec.environment["VERSION"] == "2" })
            var scaleDown = UpOptions()
            scaleDown.scale = ["worker": 1]
            try await bed.orchestrator.up(second, scaleDown)
            #expect(try await bed.orchestrator.ps(projectName: bed.name, all: true).map(\.name) == ["\(bed.name)-worker-1"])
        }
    }

    @Test(.timeLimit(.minutes(2))) func unhealthyDependencyFailsUpNamingItAndItsProbe() async throws {
        try await withStack { bed in
            let project = try bed.project("""
                services:
                  db:
                    image: busybox
                    command: sleep 60
                    init: true
                    healthcheck: {test: ["CMD-SHELL", "echo not ready; exit 1"], interval: 200ms, retries: 2}
                  app:
                    image: busybox
                    command: sleep 60
                    depends_on: {db: {condition: service_healthy}}
                """)
            do throws(OrchestratorError) {
                try await bed.orchestrator.up(project, UpOptions())
                Issue.record("up succeeded although db is unhealthy")
            } catch {
                #expect(error.message.contains("container \(bed.name)-db-1 is unhealthy"), "\(error)")
                #expect(error.message.contains("not ready"), "\(error)")
            }
            #expect(try await bed.orchestrator.ps(projectName: bed.name, all: true).map(\.name) == ["\(bed.name)-db-1"])
        }
    }

    @Test(.timeLimit(.minutes(2))) func failingOneShotFailsUpWithItsExitCode() async throws {
        try await withStack { bed in
            let project = try bed.project("""
                services:
                  migrate:
                    image: busybox
                    command: sh -c 'echo cannot migrate; exit 3'
                  app:
                    image: busybox
                    command: sleep 60
                    depends_on: {migrate: {condition: service_completed_successfully}}
                """)
            do throws(OrchestratorError) {
                try await bed.orchestrator.up(project, UpOptions())
                Issue.record("up succeeded although migrate exited 3")
            } catch {
                #expect(error.message.contains("service \"migrate\" didn't complete successfully: exit 3"))
                #expect(error.message.contains("cannot migrate"))
            }
            #expect(try await bed.orchestrator.ps(projectName: bed.name, all: true).map(\.name) == ["\(bed.name)-migrate-1"])
        }
    }
}

@Suite(.serialized) struct SecretAndConfigTests {
    @Test(.timeLimit(.minutes(2))) func secretsAndConfigsAreReadOnlyFilesWithTheirOwnersAndModes() async throws {
        try await withStack { bed in
            try "s3cret".write(toFile: bed.directory + "/project/password.txt", atomically: true, encoding: .utf8)
            let project = try bed.project("""
                services:
                  app:
                    image: busybox
                    command: sh -c 'stat -c "%n %u %a" /run/secrets/password /run/secrets/token /etc/app.conf; cat /run/secrets/password /etc/app.conf; echo; echo x > /run/secrets/password || echo read-only'
                    secrets:
                      - password
                      - {source: token, uid: "1000", mode: 0400}
                    configs:
                      - {source: app, target: /etc/app.conf}
                secrets:
                  password: {file: ./password.txt}
                  token: {content: t0ken}
                configs:
                  app: {content: "key=value"}
                """)
            try await bed.orchestrator.up(project, UpOptions())
            let app = try #require(try await bed.orchestrator.ps(projectName: bed.name, all: true).first)
            #expect(try await eventually {
                let logs = await bed.orchestrator.lastLogLines(app.id, count: 10)
                return logs.contains("read-only")
            })
            let logs = await bed.orchestrator.lastLogLines(app.id, count: 10)
            #expect(logs.contains("/run/secrets/password 0 444"), "\(logs)")
            #expect(logs.contains("/run/secrets/token 1000 400"), "\(logs)")
            #expect(logs.contains("/etc/app.conf 0 444"), "\(logs)")
            #expect(logs.contains("s3cretkey=value"), "\(logs)")
            var down = DownOptions()
            down.timeout = 0
            try await bed.orchestrator.down(projectName: bed.name, project: project, down)
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: bed.state.path("secrets"))) ?? []).isEmpty)
        }
    }
}

@Suite(.serialized) struct VolumeTests {
    @Test(.timeLimit(.minutes(2))) func emptyVolumesTakeTheImageContentUnlessNocopyAndOutliveContainers() async throws {
        try await withStack { bed in
            let project = try bed.project("""
                services:
                  writer:
                    image: busybox
                    command: sh -c 'ls /copied/passwd && echo kept > /copied/note; ls /empty | wc -l'
                    volumes:
                      - copied:/etc
                      - type: volume
                        source: empty
                        target: /empty-target
                        volume: {nocopy: true}
                volumes:
                  copied:
                  empty:
                """.replacingOccurrences(of: "/copied/", with: "/etc/").replacingOccurrences(of: "ls /empty |", with: "ls /empty-target |"))
            try await bed.orchestrator.up(project, UpOptions())
            let writer = try #require(try await bed.orchestrator.ps(projectName: bed.name, all: true).first)
            _ = try await bed.orchestrator.containers.wait(writer.id)
            let logs = await bed.orchestrator.lastLogLines(writer.id, count: 5)
            #expect(logs.contains("/etc/passwd"), "the image's /etc was copied into the new volume: \(logs)")
            #expect(logs.contains("| 0"), "a nocopy volume stays empty: \(logs)")
            // The data outlives the container: a new container reads what the first wrote.
            var down = DownOptions()
            down.timeout = 0
            try await bed.orchestrator.down(projectName: bed.name, project: project, down)
            let reader = try bed.project("services:\n  reader:\n    image: busybox\n    command: cat /etc/note\n    volumes: [copied:/etc]\nvolumes:\n  copied:\n")
            try await bed.orchestrator.up(reader, UpOptions())
            let second = try #require(try await bed.orchestrator.ps(projectName: bed.name, all: true).first)
            _ = try await bed.orchestrator.containers.wait(second.id)
            #expect(await bed.orchestrator.lastLogLines(second.id).contains("kept"))
        }
    }
}

func eventually(_ seconds: Double = 10, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(nanoseconds: 100_000_000)
    }
    return try await condition()
}
