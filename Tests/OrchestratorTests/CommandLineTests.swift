import Foundation
import Testing

/// The command line answers as ArgumentParser's full parse does, whether a line takes the
/// quick path to its command (a plain, valid line) or not (help, mistakes).
@Suite struct CommandLineTests {
    func swiftcompose(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let state = "/tmp/sccli-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: state) }
        return try ExampleStackTests().run([ExampleStackTests.binary] + arguments, in: "/",
                                           environment: ["SWIFTCOMPOSE_ROOT": state + "/root", "SWIFTCOMPOSE_RUN": state + "/run"])
    }

    @Test func helpAndMistakesAreAnsweredWithTheFullCommandName() throws {
        let help = try swiftcompose(["container", "run", "--help"])
        #expect(help.status == 0 && help.output.contains("USAGE: swiftcompose container run"), "\(help.output)")
        // docker run's answer to a flag it does not know, before the image.
        let unknown = try swiftcompose(["container", "run", "--no-such-flag", "busybox"])
        #expect(unknown.status == 125, "\(unknown.output)")
        #expect(unknown.output == "unknown flag: --no-such-flag\nSee 'swiftcompose container run --help'.\n", "\(unknown.output)")
        let missing = try swiftcompose(["container", "run"])
        #expect(missing.status == 64 && missing.output.contains("give an image"), "\(missing.output)")
        let unknownOption = try swiftcompose(["network", "ls", "--no-such-flag"])
        #expect(unknownOption.status == 64 && unknownOption.output.contains("Unknown option '--no-such-flag'")
                && unknownOption.output.contains("swiftcompose network ls"), "\(unknownOption.output)")
        let noCommand = try swiftcompose(["container", "no-such-command"])
        #expect(noCommand.status == 64, "\(noCommand.output)")
    }

    @Test func plainLinesReachTheirCommandByNameOrAlias() throws {
        for words in [["network", "ls", "--format", "json"], ["network", "list", "--format", "json"], ["container", "ps", "-a"]] {
            let result = try swiftcompose(words)
            #expect(result.status == 0, "\(words): \(result.output)")
        }
        let version = try swiftcompose(["--version"])
        #expect(version.status == 0 && !version.output.isEmpty)
    }
}
