import ArgumentParser
import Engine
import Foundation
import Testing
@testable import swiftcompose

/// `container run`'s quick parse (see `QuicklyParsed`) against ArgumentParser's full parse:
/// the same command for every line it reads, and nil for every line it must leave alone.
@Suite struct QuickParseTests {
    /// What a parsed `container run` amounts to, for comparing two of them.
    func outcome(_ command: ContainerRunCommand) throws -> String {
        let spec = try command.options.spec(image: "image", command: [], autoRemove: command.remove)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let fields = [String(describing: command.engine.root), String(command.detach), String(command.remove),
                      command.arguments.joined(separator: "\u{1}"), String(describing: command.options.rootfs)]
        return fields.joined(separator: "|") + String(decoding: try encoder.encode(spec), as: UTF8.self)
    }

    @Test(arguments: [
        ["busybox", "true"],
        ["--rm", "busybox", "true"],
        ["--rm", "--rootfs", "/srv/root", "true"],
        ["--rootfs=/srv/root", "sh", "-c", "echo --rm -d"],
        ["-d", "--name", "web", "busybox", "httpd", "-f"],
        ["-it", "--rm", "busybox", "sh"],
        ["-dit", "--name=x", "busybox"],
        ["-i", "-t", "-d", "busybox"],
        ["--detach", "--interactive", "--tty", "--init", "--read-only", "--privileged", "busybox"],
        ["-e", "A=1", "--env", "B=2", "--env=C=3", "-e", "D", "busybox", "env"],
        ["-v", "/tmp:/data:ro", "--volume=/srv:/srv", "-l", "a=b", "--label", "c", "busybox"],
        ["-w", "/work", "-u", "1000:1000", "busybox"],
        ["--workdir=/w", "--network", "none", "--entrypoint", "", "busybox", "ls", "-l"],
        ["--network=host", "busybox", "--", "x"],
        ["busybox", "-d", "--rm"],
    ])
    func readsWhatTheFullParseReads(_ line: [String]) throws {
        let quick = try #require(ContainerRunCommand.quickParse(line), "\(line) was not read")
        let full = try ContainerRunCommand.parseAsRoot(line) as! ContainerRunCommand
        #expect(try outcome(quick) == outcome(full), "\(line)")
    }

    @Test(arguments: [
        [], ["--rm"], ["--help"], ["-h", "box", "busybox"], ["--memory", "64m", "busybox"], ["--", "busybox"],
        ["--name", "a", "--name", "b", "busybox"], ["--name"], ["--name", "--rm", "busybox"], ["-e"], ["-eA=1", "busybox"],
        ["--rm=true", "busybox"], ["-x", "busybox"], ["-dx", "busybox"], ["--restart", "always", "busybox"],
        ["--root", "/x", "busybox"], ["-p", "80", "busybox"],
    ])
    func leavesEveryOtherLineToTheFullParse(_ line: [String]) {
        #expect(ContainerRunCommand.quickParse(line) == nil, "\(line)")
    }

    @Test func defaultsAreTheFullParsesForALineWithoutOptions() throws {
        let full = try ContainerRunCommand.parseAsRoot(["busybox"]) as! ContainerRunCommand
        var quick = ContainerRunCommand()
        quick.engine = EngineOptions.defaults
        quick.options = ContainerRunOptions.defaults
        quick.detach = false
        quick.remove = false
        quick.arguments = ["busybox"]
        #expect(try outcome(quick) == outcome(full))
    }
}
