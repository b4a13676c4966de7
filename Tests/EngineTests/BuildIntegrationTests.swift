import EngineTestSupport
import Foundation
import SystemSupport
import Testing
@testable import Engine

/// Collects a build's events (the progress callback is called from other threads).
final class BuildEvents: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [BuildEvent] = []

    var callback: @Sendable (BuildEvent) -> Void { { event in self.lock.withLock { self.events.append(event) } } }
    var all: [BuildEvent] { lock.withLock { events } }

    /// The text of every step, and whether it came from the cache.
    var steps: [(text: String, cached: Bool)] {
        let all = self.all
        let cached = Set(all.compactMap { if case .cached(let id) = $0 { id } else { nil } })
        return all.compactMap { if case .step(let id, _, let text) = $0 { (text, cached.contains(id)) } else { nil } }
    }

    var output: String { all.compactMap { if case .output(_, let text) = $0 { text } else { nil } }.joined() }
}

/// Real builds: RUN in containers of our runtime, COPY into overlay mounts, the cache.
@Suite("Build", .serialized) struct BuildIntegrationTests {
    static let dockerfile = """
    ARG BASE=busybox
    FROM ${BASE} AS build
    ARG GREETING=hi
    WORKDIR /src
    COPY app/ ./
    RUN echo "$GREETING from build" > built.txt && ls > listing.txt
    RUN <<EOF
    echo heredoc >> built.txt
    EOF

    FROM busybox
    ENV TARGET=/srv
    COPY --from=build /src/built.txt /src/listing.txt ${TARGET}/
    COPY --chown=app:app --chmod=640 <<EOF ${TARGET}/note.txt
    target is ${TARGET}
    EOF
    USER app
    WORKDIR /home/app/work
    LABEL purpose=test
    EXPOSE 8080 53/udp
    HEALTHCHECK --interval=5s --retries=2 CMD test -f /srv/built.txt
    ONBUILD RUN echo child > /tmp/onbuild
    CMD ["cat", "/srv/built.txt"]
    """

    func makeContext(_ bed: RuntimeTestBed) throws -> String {
        let context = bed.directory + "/context"
        try makeDirectories(context + "/app")
        try "hello\n".write(toFile: context + "/app/hello.txt", atomically: true, encoding: .utf8)
        try "noise\n".write(toFile: context + "/app/skip.log", atomically: true, encoding: .utf8)
        try "*.log\n**/*.log\n".write(toFile: context + "/.dockerignore", atomically: true, encoding: .utf8)
        try Self.dockerfile.write(toFile: context + "/Dockerfile", atomically: true, encoding: .utf8)
        return context
    }

    func runOutput(_ bed: RuntimeTestBed, _ image: String, _ command: [String]) async throws -> String {
        let result = try await bed.run(ContainerSpec(image: image, command: command.isEmpty ? nil : command), image: ImageStore(state: bed.state).containerImage(image))
        #expect(result.code == 0, "\(command): \(result.err)")
        return result.out
    }

    @Test func multiStageBuildCacheAndInvalidation() async throws {
        try await withRuntimeBed { bed in
            let store = ImageStore(state: bed.state)
            try BusyboxImage.make(in: store)
            let context = try makeContext(bed)
            var request = BuildRequest(context: context)
            request.tags = ["built:1"]
            request.buildArgs = ["GREETING": "hello", "UNUSED": "x"]
            let builder = ImageBuilder(state: bed.state)

            let events = BuildEvents()
            let image = try await builder.build(request, progress: events.callback)
            #expect(events.steps.allSatisfy { !$0.cached })
            #expect(events.all.contains(.warning("one or more build args were not consumed: UNUSED")))
            let config = image.configuration.config
            #expect(config.User == "app")
            #expect(config.WorkingDir == "/home/app/work")
            #expect(config.Env?.contains("TARGET=/srv") == true)
            #expect(config.Labels?["purpose"] == "test")
            #expect(Set(config.ExposedPorts?.keys.map { $0 } ?? []) == ["8080/tcp", "53/udp"])
            #expect(config.Cmd == ["cat", "/srv/built.txt"])
            #expect(config.OnBuild == ["RUN echo child > /tmp/onbuild"])
            #expect(config.Healthcheck?.Test == ["CMD-SHELL", "test -f /srv/built.txt"])
            #expect(config.Healthcheck?.Interval == 5_000_000_000)
            #expect(image.names == ["docker.io/library/built:1"])
            #expect(image.configuration.history?.count == 11) // busybox's import and the last stage's ten instructions

            #expect(try await runOutput(bed, "built:1", []) == "hello from build\nheredoc\n")
            let listing = try await runOutput(bed, "built:1", ["cat", "/srv/listing.txt"])
            #expect(listing.contains("hello.txt") && !listing.contains("skip.log"), "\(listing)")
            #expect(try await runOutput(bed, "built:1", ["stat", "-c", "%U %a", "/srv/note.txt"]) == "app 640\n")
            #expect(try await runOutput(bed, "built:1", ["sh", "-c", "cat /srv/note.txt; pwd; id -u"]) == "target is /srv\n/home/app/work\n1000\n")

            // The same context again: every layer step from the cache, the same layers.
            let again = BuildEvents()
            let second = try await builder.build(request, progress: again.callback)
            let layerSteps = again.steps.filter { ["RUN", "COPY", "WORKDIR"].contains(String($0.text.prefix { $0 != " " })) }
            #expect(layerSteps.filter { !$0.cached }.isEmpty, "\(layerSteps)")
            #expect(second.id == image.id, "an unchanged rebuild gives the same image")

            // One changed file: its COPY and everything after it run again, what came before does not.
            try "changed\n".write(toFile: context + "/app/hello.txt", atomically: true, encoding: .utf8)
            let third = BuildEvents()
            _ = try await builder.build(request, progress: third.callback)
            let cached = Dictionary(third.steps.map { ($0.text, $0.cached) }, uniquingKeysWith: { first, _ in first })
            #expect(cached["WORKDIR /src"] == true)
            #expect(cached["COPY app/ ./"] == false)
            #expect(cached["RUN echo \"$GREETING from build\" > built.txt && ls > listing.txt"] == false)

            // A build FROM the result runs its ONBUILD trigger.
            try makeDirectories(bed.directory + "/child")
            var child = BuildRequest(context: bed.directory + "/child")
            child.dockerfileInline = "FROM built:1\nUSER root\n"
            child.tags = ["child"]
            _ = try await builder.build(child)
            #expect(try await runOutput(bed, "child", ["cat", "/tmp/onbuild"]) == "child\n")
        }
    }

    @Test func targetStageAndNoCache() async throws {
        try await withRuntimeBed { bed in
            try BusyboxImage.make(in: ImageStore(state: bed.state))
            let context = try makeContext(bed)
            var request = BuildRequest(context: context)
            request.target = "build"
            request.tags = ["stage"]
            let builder = ImageBuilder(state: bed.state)
            _ = try await builder.build(request)
            #expect(try await runOutput(bed, "stage", ["cat", "/src/built.txt"]) == "hi from build\nheredoc\n")
            request.noCache = true
            let events = BuildEvents()
            _ = try await builder.build(request, progress: events.callback)
            #expect(events.steps.allSatisfy { !$0.cached })
            request.target = "nope"
            await #expect(throws: EngineError.self) { try await builder.build(request) }
        }
    }

    @Test func failuresNameTheLineAndTheCommand() async throws {
        try await withRuntimeBed { bed in
            try BusyboxImage.make(in: ImageStore(state: bed.state))
            try makeDirectories(bed.directory + "/ctx")
            let builder = ImageBuilder(state: bed.state)
            var request = BuildRequest(context: bed.directory + "/ctx")
            request.dockerfileInline = "FROM busybox\nRUN echo before\nRUN echo failing >&2; exit 3\n"
            let events = BuildEvents()
            do throws(EngineError) {
                _ = try await builder.build(request, progress: events.callback)
                Issue.record("a failing RUN did not fail the build")
            } catch {
                #expect(error.message.contains(":3: RUN: the command /bin/sh -c \"echo failing >&2; exit 3\" did not complete successfully: exit code 3"),
                        "\(error.message)")
            }
            #expect(events.output.contains("failing"))
            request.dockerfileInline = "FROM busybox\nCOPY missing.txt /x\n"
            do throws(EngineError) {
                _ = try await builder.build(request)
                Issue.record("a missing COPY source was accepted")
            } catch {
                #expect(error.message.contains(":2: COPY: missing.txt: not found in the build context"), "\(error.message)")
            }
            request.dockerfileInline = "FROM nothing-here\n"
            await #expect(throws: EngineError.self) { try await builder.build(request) }
            // Nothing of the failed builds is left mounted or running.
            #expect(try await bed.service.list(all: true).isEmpty)
            let mounts = try MountTable.current()
            #expect(!mounts.contains(bed.directory))
        }
    }
}
