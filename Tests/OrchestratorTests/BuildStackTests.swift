import Foundation
import SystemSupport
import Testing

/// Services with `build:` come up through the CLI: missing images are built by `up`,
/// `up --build` rebuilds and recreates what changed, `build` builds on its own.
@Suite(.serialized) struct BuildStackTests {
    let cli = ExampleStackTests()

    @Test(.timeLimit(.minutes(3))) func upBuildsMissingImagesAndRebuildsWithBuildFlag() throws {
        let binary = ExampleStackTests.binary
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            Issue.record("build the CLI first (swift build --build-tests builds it): \(binary)")
            return
        }
        let state = "/tmp/scbuild-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let project = state + "/project"
        let environment = ["SWIFTCOMPOSE_ROOT": state + "/root", "SWIFTCOMPOSE_RUN": state + "/run",
                           "COMPOSE_PROJECT_NAME": "b\(UInt16.random(in: 0...9999))"]
        defer {
            _ = try? cli.run([binary, "down", "-t", "0"], in: project, environment: environment)
            try? FileManager.default.removeItem(atPath: state)
        }
        try makeDirectories(project + "/app")
        try """
            services:
              app:
                build:
                  context: ./app
                  args: {MESSAGE: from-compose}
                command: ["sh", "-c", "cat /message && sleep 60"]
              tool:
                image: custom-tool:dev
                build:
                  context: .
                  dockerfile_inline: |
                    FROM busybox
                    RUN echo tool > /tool
                command: ["sleep", "60"]
            """.write(toFile: project + "/compose.yaml", atomically: true, encoding: .utf8)
        let dockerfile = "FROM busybox\nARG MESSAGE=default\nRUN echo \"$MESSAGE\" > /message\n"
        try dockerfile.write(toFile: project + "/app/Dockerfile", atomically: true, encoding: .utf8)
        let image = try cli.run([ExampleStackTests.root + "/scripts/make-busybox-image", binary], in: ExampleStackTests.root, environment: environment)
        #expect(image.status == 0, "\(image.output)")

        let up = try cli.run([binary, "up", "-d", "--wait"], in: project, environment: environment)
        #expect(up.status == 0, "\(up.output)")
        #expect(up.output.contains("Image custom-tool:dev  Built"), "\(up.output)")
        #expect(up.output.contains("RUN echo tool > /tool"), "\(up.output)")
        #expect(try cli.run([binary, "exec", "tool", "cat", "/tool"], in: project, environment: environment).output == "tool\n")
        let logs = try cli.run([binary, "logs", "--no-log-prefix", "app"], in: project, environment: environment)
        #expect(logs.output.contains("from-compose"), "\(logs.output)")
        let firstID = try cli.run([binary, "ps", "-q", "app"], in: project, environment: environment).output

        // Without --build nothing is rebuilt; with it the changed Dockerfile makes a new image and container.
        try (dockerfile + "RUN echo second >> /message\n").write(toFile: project + "/app/Dockerfile", atomically: true, encoding: .utf8)
        let again = try cli.run([binary, "up", "-d", "--wait"], in: project, environment: environment)
        #expect(!again.output.contains("Built"), "\(again.output)")
        let rebuilt = try cli.run([binary, "up", "-d", "--wait", "--build"], in: project, environment: environment)
        #expect(rebuilt.status == 0, "\(rebuilt.output)")
        #expect(rebuilt.output.contains("CACHED"), "the unchanged steps come from the cache: \(rebuilt.output)")
        let secondID = try cli.run([binary, "ps", "-q", "app"], in: project, environment: environment).output
        #expect(secondID != firstID && !secondID.isEmpty)
        // Nothing changed: --build gives the same images, so no container is recreated.
        let unchanged = try cli.run([binary, "up", "-d", "--wait", "--build"], in: project, environment: environment)
        #expect(unchanged.status == 0, "\(unchanged.output)")
        #expect(try cli.run([binary, "ps", "-q", "app"], in: project, environment: environment).output == secondID)
        let newLogs = try cli.run([binary, "logs", "--no-log-prefix", "app"], in: project, environment: environment)
        #expect(newLogs.output.contains("second"), "\(newLogs.output)")

        let build = try cli.run([binary, "build", "--no-cache", "-q", "tool"], in: project, environment: environment)
        #expect(build.status == 0, "\(build.output)")
        let broken = try cli.run([binary, "build", "nothing"], in: project, environment: environment)
        #expect(broken.status != 0 && broken.output.contains("no such service: nothing"), "\(broken.output)")
    }
}
