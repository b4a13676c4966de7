import ComposeModel
import Foundation
import Kube
import Testing

/// Manifests for every project of the model's corpus and for the examples: valid against
/// Kubernetes' OpenAPI schemas (PyPI's kubernetes-validate, installed by scripts/setup;
/// skipped with a message without it), consistent (selectors match pods, everything a pod
/// mounts exists), deterministic, and what the compose file asked.
@Suite struct KubeGeneratorTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let corpus = root + "/Tests/ComposeModelTests/Corpus/valid"

    static let projects: [String] = {
        let cases = ((try? FileManager.default.contentsOfDirectory(atPath: corpus)) ?? []).sorted().map { corpus + "/" + $0 }
        return cases + ["counter", "notes", "hello", "scaled"].map { root + "/examples/" + $0 }
    }()

    static func load(_ directory: String) throws -> Project {
        try ProjectLoader.load(LoadOptions(workingDirectory: directory, environment: ["HOME": "/home/tester", "TOKEN_VALUE": "t", "API_KEY": "k"]))
    }

    static func generate(_ directory: String) throws -> KubeGenerator.Output? {
        var options = KubeOptions()
        options.allowHostPath = true
        do {
            return try KubeGenerator.generate(try load(directory), options)
        } catch let error as KubeError where error.message.contains("push it, then set image:") {
            return nil // built images must be pushed first; that refusal is tested below
        }
    }

    static let validator: String? = {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/kubernetes-validate"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    @Test func everyManifestValidatesAgainstTheKubernetesSchemas() throws {
        guard let validator = Self.validator else {
            print("KubeGeneratorTests: kubernetes-validate not found; schema validation skipped (scripts/setup installs it)")
            return
        }
        let directory = NSTemporaryDirectory() + "swiftcompose-kube-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var files: [String] = []
        for (index, project) in Self.projects.enumerated() {
            guard let output = try Self.generate(project) else { continue }
            let file = "\(directory)/\(index).yaml"
            try output.stream.write(toFile: file, atomically: true, encoding: .utf8)
            files.append(file)
        }
        #expect(files.count >= 60)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: validator)
        process.arguments = ["--strict", "--no-warn"] + files
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let report = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let failures = report.split(separator: "\n").filter { !$0.hasPrefix("INFO") }
        #expect(process.terminationStatus == 0 && failures.isEmpty, "\(failures.prefix(20).joined(separator: "\n"))")
        #expect(report.split(separator: "\n").count > 200, "every object is checked")
    }

    @Test(arguments: projects)
    func manifestsAreConsistentAndDeterministic(_ directory: String) throws {
        guard let output = try Self.generate(directory) else { return }
        #expect(output.stream == (try Self.generate(directory))?.stream, "same input, same bytes")
        let documents = try output.objects.map { object in try ProjectDocument.parse(object.yaml) }
        let pods = documents.compactMap { $0.podLabels }
        let names = Set(documents.map { "\($0.kind)/\($0.name)" })
        for document in documents {
            #expect(KubeNameCheck.isDNS1123(document.name), "\(document.kind)/\(document.name)")
            if document.kind == "Service", let selector = document.selector {
                #expect(pods.contains { labels in selector.allSatisfy { labels[$0.key] == $0.value } }, "Service \(document.name) selects no pod")
            }
            for claim in document.claims where document.kind != "StatefulSet" {
                #expect(names.contains("PersistentVolumeClaim/\(claim)"), "\(document.name) mounts a missing claim \(claim)")
            }
            for map in document.configMaps { #expect(names.contains("ConfigMap/\(map)")) }
            for secret in document.secrets { #expect(names.contains("Secret/\(secret)")) }
        }
    }

    @Test func servicesBecomeTheRightObjects() throws {
        let project = try Self.load(Self.corpus + "/depends-on-long")
        let output = try KubeGenerator.generate(project)
        let kinds = Dictionary(uniqueKeysWithValues: output.objects.map { ("\($0.kind)/\($0.name)", $0.yaml) })
        #expect(kinds["Job/migrate"] != nil, "a one-shot that others wait on becomes a Job")
        #expect(kinds["Deployment/web"]?.contains("wait-for-db") == true, "service_healthy becomes an init container")
        #expect(kinds["Deployment/web"]?.contains("condition=complete job/migrate") == true)
        #expect(kinds["Deployment/db"]?.contains("readinessProbe") == true)
        #expect(kinds["ServiceAccount/depends-on-long-waiter"] != nil)
        let scaled = try KubeGenerator.generate(try Self.load(Self.corpus + "/deploy-resources"))
        #expect(scaled.objects.first { $0.kind == "Deployment" }?.yaml.contains("replicas: 3") == true)
        #expect(scaled.objects.first { $0.kind == "Deployment" }?.yaml.contains("memory: \"1073741824\"") == true)
    }

    @Test func theNotesExampleBecomesAJobAGatedAppAndAClaim() throws {
        let output = try #require(try Self.generate(Self.root + "/examples/notes"))
        let objects = Dictionary(uniqueKeysWithValues: output.objects.map { ("\($0.kind)/\($0.name)", $0.yaml) })
        #expect(objects["Job/migrate"] != nil, "the migration others wait on is a Job")
        let app = try #require(objects["Deployment/app"])
        #expect(app.contains("wait-for-db") && app.contains("condition=complete job/migrate"), "\(app)")
        #expect(app.contains("readinessProbe") && app.contains("urllib.request"), "the app's healthcheck is its probe")
        #expect(objects["Deployment/db"]?.contains("claimName: db-data") == true)
        #expect(objects["PersistentVolumeClaim/db-data"] != nil)
        #expect(objects["Service/db"]?.contains("clusterIP: None") == true, "db declares no port: a headless Service keeps its name")
        #expect(objects["Service/app"]?.contains("targetPort: 8000") == true)
    }

    @Test func bindMountsAndUnpushedBuildsAreRefusedWithAdvice() throws {
        #expect(throws: KubeError.self) { try KubeGenerator.generate(try Self.load(Self.corpus + "/volumes-short")) }
        do {
            _ = try KubeGenerator.generate(try Self.load(Self.corpus + "/build-string"))
            Issue.record("a service built from a Dockerfile without image: was accepted")
        } catch let error as KubeError {
            #expect(error.message.contains("push it, then set image:"))
        }
    }

    @Test func statefulSetModeUsesClaimTemplates() throws {
        var options = KubeOptions()
        options.volumes = .statefulset
        let output = try KubeGenerator.generate(try Self.load(Self.corpus + "/volume-external-and-named"), options)
        #expect(output.objects.contains { $0.kind == "StatefulSet" && $0.yaml.contains("volumeClaimTemplates") })
        #expect(!output.objects.contains { $0.kind == "PersistentVolumeClaim" })
    }
}

/// Reads back what a generated object says (via the compose loader's YAML reader).
struct ProjectDocument {
    var kind: String
    var name: String
    var podLabels: [String: String]?
    var selector: [String: String]?
    var claims: [String] = []
    var configMaps: [String] = []
    var secrets: [String] = []

    static func parse(_ yaml: String) throws -> ProjectDocument {
        let node = try YAMLReader.documents(yaml, file: "manifest").first ?? .null
        var document = ProjectDocument(kind: node["kind"]?.string ?? "", name: node["metadata"]?["name"]?.string ?? "")
        let pod = node["spec"]?["template"]
        document.podLabels = pod?["metadata"]?["labels"]?.stringMap
        document.selector = document.kind == "Service" ? node["spec"]?["selector"]?.stringMap : nil
        for volume in pod?["spec"]?["volumes"]?.array ?? [] {
            if let claim = volume["persistentVolumeClaim"]?["claimName"]?.string { document.claims.append(claim) }
            if let map = volume["configMap"]?["name"]?.string { document.configMaps.append(map) }
            if let secret = volume["secret"]?["secretName"]?.string { document.secrets.append(secret) }
        }
        return document
    }
}

enum KubeNameCheck {
    static func isDNS1123(_ name: String) -> Bool {
        guard let first = name.first, let last = name.last, name.count <= 63,
              first.isLetter || first.isNumber, last != "-" else { return false }
        return name.allSatisfy { ($0.isLowercase && $0.isASCII) || ($0.isNumber && $0.isASCII) || $0 == "-" }
    }
}
