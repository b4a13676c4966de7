import Foundation
import SystemSupport
import Testing

/// `attach` through the CLI: input in, output out, the exit status back, and signals
/// passed on to the container's process (--sig-proxy).
@Suite(.serialized) struct ComposeAttachTests {
    /// The CLI running with a pipe for its input and its output collected as it comes.
    final class Attached: @unchecked Sendable {
        let process: Process
        let input = Pipe()
        private let lock = NSLock()
        private var collected = Data()

        init(_ arguments: [String], in directory: String, environment: [String: String]) throws {
            process = ExampleStackTests.process(arguments, in: directory, environment: environment)
            let output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let reader = output.fileHandleForReading
            Thread.detachNewThread { [self] in
                while true {
                    let chunk = reader.availableData
                    if chunk.isEmpty { return }
                    lock.withLock { collected.append(chunk) }
                }
            }
        }

        var output: String { lock.withLock { String(decoding: collected, as: UTF8.self) } }

        /// Waits up to `seconds` for the output to contain `text`.
        func await(_ text: String, seconds: Double = 10) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if output.contains(text) { return true }
                usleep(20_000)
            }
            return false
        }

        func finish(seconds: Double = 20) -> Int32? {
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { process.terminate(); return nil }
            return process.terminationStatus
        }
    }

    @Test(.timeLimit(.minutes(2))) func attachSendsInputAndSignalsAndReturnsTheExitStatus() throws {
        try ComposeFlagsTests().withStack("""
            services:
              echo:
                image: busybox
                stdin_open: true
                command: ["sh", "-c", "while read line; do echo \\"got $$line\\"; done; echo bye; exit 3"]
              ticker:
                image: busybox
                command: ["sh", "-c", "trap 'echo term; exit 7' TERM; while true; do echo tick; sleep 0.1; done"]
            """) { stack, run in
            let up = try run(["up", "-d"])
            try #require(up.status == 0, "\(up.output)")
            let binary = ExampleStackTests.binary

            // Input goes in; at its end the container's read loop ends, and its status comes back.
            let echo = try Attached([binary, "attach", "echo"], in: stack.project, environment: stack.environment)
            echo.input.fileHandleForWriting.write(Data("hello\n".utf8))
            #expect(echo.await("got hello"), "\(echo.output)")
            try echo.input.fileHandleForWriting.close()
            #expect(echo.finish() == 3, "\(echo.output)")
            #expect(echo.output.hasSuffix("bye\n"), "\(echo.output)")

            // A signal to the CLI goes to the container's process, which exits on it.
            let ticker = try Attached([binary, "attach", "--no-stdin", "ticker"], in: stack.project, environment: stack.environment)
            #expect(ticker.await("tick"), "\(ticker.output)")
            kill(ticker.process.processIdentifier, SIGTERM)
            #expect(ticker.finish() == 7, "\(ticker.output)")
            #expect(ticker.output.contains("term"), "\(ticker.output)")

            let unknown = try run(["attach", "--detach-keys", "ctrl-1", "echo"])
            #expect(unknown.status != 0 && unknown.output.contains("invalid detach keys"), "\(unknown.output)")
        }
    }

    /// `container attach` as docker attach: input when the container keeps stdin open.
    @Test(.timeLimit(.minutes(2))) func containerAttachSendsInputToAnInteractiveContainer() throws {
        try ComposeFlagsTests().withStack("services: {}\n") { stack, _ in
            let binary = ExampleStackTests.binary
            let started = try ExampleStackTests().run([binary, "container", "run", "-d", "-i", "--name", "reader-\(stack.name)",
                                                       "busybox", "sh", "-c", "read line; echo \"got $line\"; exit 4"],
                                                      in: stack.project, environment: stack.environment)
            try #require(started.status == 0, "\(started.output)")
            defer {
                _ = try? ExampleStackTests().run([binary, "container", "rm", "-f", "reader-\(stack.name)"],
                                                 in: stack.project, environment: stack.environment)
            }
            let reader = try Attached([binary, "container", "attach", "reader-\(stack.name)"], in: stack.project,
                                      environment: stack.environment)
            reader.input.fileHandleForWriting.write(Data("hi\n".utf8))
            #expect(reader.finish() == 4, "\(reader.output)")
            #expect(reader.output == "got hi\n", "\(reader.output)")
        }
    }
}
