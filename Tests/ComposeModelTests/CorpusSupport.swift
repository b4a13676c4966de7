import Foundation
@testable import ComposeModel

/// The test corpus: Corpus/valid/<case>/ (compose.yaml, its files, expected.json with
/// paths written as $PROJECT_DIR, and expected-hash.txt where hashes do not depend on
/// the location) and Corpus/invalid/<case>/ (compose.yaml and expected-error.txt:
/// "line:column" then the message).
enum Corpus {
    static let root: URL = Bundle.module.resourceURL!.appendingPathComponent("Corpus")

    static func cases(_ kind: String) -> [String] {
        let directory = root.appendingPathComponent(kind)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }

    static func directory(_ kind: String, _ name: String) -> String {
        root.appendingPathComponent(kind).appendingPathComponent(name).path
    }

    /// The environment every corpus case loads with, so results do not depend on the shell.
    static let environment = ["HOME": "/home/tester", "PATH": "/usr/bin:/bin"]

    static func load(_ directory: String) throws(ComposeError) -> Project {
        try ProjectLoader.load(LoadOptions(workingDirectory: directory, environment: environment))
    }

    static func jsonValue(_ text: String) -> NSObject? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) as? NSObject
    }

    static func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The full path of the directory and of its parent, written as placeholders.
    static func placeholders(_ text: String, directory: String) -> String {
        let parent = (directory as NSString).deletingLastPathComponent
        return text.replacingOccurrences(of: directory, with: "$PROJECT_DIR").replacingOccurrences(of: parent, with: "$PROJECT_PARENT")
    }

    static func hashes(_ project: Project) -> String {
        // As `config --hash '*'` prints them: one line per service, nothing for none.
        project.serviceNames.sorted().map { "\($0) \(project.configHash(of: $0)!)\n" }.joined()
    }
}
