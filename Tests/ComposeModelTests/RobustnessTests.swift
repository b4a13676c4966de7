import Foundation
import Testing
@testable import ComposeModel

/// Thousands of mutated and random documents through the loader: none may crash or
/// hang; each is loaded or refused with a ComposeError; what loads prints YAML that
/// loads back to the same model.
@Suite struct RobustnessTests {
    /// A small deterministic generator, so a failure can be replayed.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
        mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
    }

    static let fragments = [":", "- ", "{", "}", "[", "]", "&a ", "*a", "<<: *a", "!reset ", "!override ", "${", "${X:-", "$$", "'", "\"", "\t", "\n", "  ", "#", "|", ">", "~", "null", "true", "0x1F", "1e400", "-1", "99999999999999999999", "\u{0}", "é", "\\", ",", "?", "%", "@", "`", "!!str ", "!!int "]

    static let keys = ["image", "ports", "volumes", "environment", "command", "depends_on", "networks", "healthcheck", "build", "deploy", "labels", "env_file", "extends", "profiles", "secrets", "configs", "ulimits", "extra_hosts", "tmpfs", "x-ext", "unknown"]

    func mutate(_ text: String, _ random: inout Generator) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for _ in 0...random.below(3) {
            guard !lines.isEmpty else { break }
            let index = random.below(lines.count)
            switch random.below(7) {
            case 0: lines.remove(at: index)
            case 1: lines.insert(lines[index], at: index)
            case 2: lines[index] = String(repeating: " ", count: random.below(8)) + lines[index].trimmingCharacters(in: .whitespaces)
            case 3:
                var line = Array(lines[index])
                line.insert(contentsOf: Self.fragments[random.below(Self.fragments.count)], at: random.below(line.count + 1))
                lines[index] = String(line)
            case 4: lines[index] = String(lines[index].prefix(random.below(lines[index].count + 1)))
            case 5: lines.swapAt(index, random.below(lines.count))
            default:
                let indent = lines[index].prefix { $0 == " " }
                lines[index] = indent + random.pick(Self.keys) + ": " + random.pick(Self.fragments)
            }
        }
        return lines.joined(separator: "\n")
    }

    func randomDocument(_ random: inout Generator, depth: Int = 0) -> String {
        func value(_ depth: Int) -> String {
            if depth > 3 { return random.pick(Self.fragments) }
            switch random.below(4) {
            case 0: return "\n" + (0..<random.below(4)).map { _ in String(repeating: "  ", count: depth + 1) + "- " + random.pick(Self.fragments) }.joined(separator: "\n")
            case 1: return "\n" + (0..<random.below(4)).map { _ in String(repeating: "  ", count: depth + 1) + random.pick(Self.keys) + ":" + value(depth + 1) }.joined(separator: "\n")
            default: return " " + random.pick(Self.fragments) + random.pick(["web", "8080:80", "1s", "512m", "a=b"])
            }
        }
        return "services:\n  s:\n" + (0..<random.below(6)).map { _ in "    " + random.pick(Self.keys) + ":" + value(2) }.joined(separator: "\n") + "\n"
    }

    func load(_ text: String) -> Result<Project, ComposeError> {
        var options = LoadOptions(workingDirectory: "/nonexistent-swiftcompose-dir", environment: ["X": "1"])
        options.files = ["-"]
        options.projectName = "fuzz"
        options.standardInput = text
        do { return .success(try ProjectLoader.load(options)) } catch { return .failure(error) }
    }

    @Test func mutatedAndRandomDocumentsNeverCrash() throws {
        let seeds = Corpus.cases("valid").compactMap { Corpus.read(Corpus.directory("valid", $0) + "/compose.yaml") }
        try #require(!seeds.isEmpty)
        var random = Generator(state: 0x5eed)
        var loaded = 0, refused = 0
        let started = Date()
        for round in 0..<6000 {
            let text = round % 4 == 3 ? randomDocument(&random) : mutate(seeds[round % seeds.count], &random)
            switch load(text) {
            case .success(let project):
                loaded += 1
                // What we print must load back to the same model.
                switch load(project.yaml()) {
                case .success(let again):
                    #expect(Corpus.jsonValue(again.json()) == Corpus.jsonValue(project.json()), "round trip changed:\n\(text)")
                case .failure(let error):
                    Issue.record("our own YAML output does not load: \(error)\n--- input\n\(text)\n--- output\n\(project.yaml())")
                }
            case .failure(let error):
                refused += 1
                #expect(!error.message.isEmpty)
            }
        }
        #expect(loaded > 100 && refused > 100, "the generator should produce both kinds: \(loaded) loaded, \(refused) refused")
        #expect(Date().timeIntervalSince(started) < 120)
    }

    @Test func aliasBombIsRefused() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1..<9 { text += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n" }
        text += "services:\n  s:\n    image: x\n    labels: *a8\n"
        guard case .failure(let error) = load(text) else {
            Issue.record("an alias bomb was loaded")
            return
        }
        #expect(error.message.contains("too large") || error.code == .invalidType || error.code == .unknownAttribute)
    }
}
