import Foundation
import Testing
@testable import ComposeModel

/// Every valid corpus project loads to exactly what docker compose v2 printed for it,
/// and every invalid one is refused with the expected message at the expected place.
@Suite struct CorpusTests {
    @Test func corpusIsLargeEnough() {
        #expect(Corpus.cases("valid").count >= 60)
        #expect(Corpus.cases("invalid").count >= 30)
    }

    @Test(arguments: Corpus.cases("valid"))
    func validProjectMatchesExpectedOutput(_ name: String) throws {
        let directory = Corpus.directory("valid", name)
        let project = try Corpus.load(directory)
        let ours = Corpus.jsonValue(Corpus.placeholders(project.json(), directory: directory))
        let expected = Corpus.jsonValue(try #require(Corpus.read(directory + "/expected.json")))
        #expect(ours != nil)
        #expect(ours == expected, "\(name): \(project.json())")
        if let hashes = Corpus.read(directory + "/expected-hash.txt") {
            #expect(Corpus.hashes(project) == hashes)
        }
    }

    @Test(arguments: Corpus.cases("invalid"))
    func invalidProjectIsRefusedWithPosition(_ name: String) throws {
        let directory = Corpus.directory("invalid", name)
        let expected = try #require(Corpus.read(directory + "/expected-error.txt")).split(separator: "\n", maxSplits: 1).map(String.init)
        do {
            _ = try Corpus.load(directory)
            Issue.record("\(name) loaded, but it should have been refused with: \(expected.last ?? "")")
        } catch {
            let description = error.description
            if expected[0] != "-" {
                let position = try #require(error.position, "\(name): no position in \(description)")
                #expect("\(position.line):\(position.column)" == expected[0], "\(name): \(description)")
            }
            let message = expected[1].trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(Corpus.placeholders(description, directory: directory).contains(message),
                    "\(name): \(description)")
        }
    }

    @Test func configHashIgnoresKeyOrderAndFormatting() throws {
        let a = try load("services:\n  web:\n    image: nginx\n    environment: {A: '1', B: '2'}\n    ports: ['8080:80']\n")
        let b = try load("services:\n  web:\n    ports:\n      - published: \"8080\"\n        target: 80\n    environment:\n      - B=2\n      - A=1\n    image: nginx\n")
        #expect(a.configHash(of: "web") == b.configHash(of: "web"))
    }

    @Test func configHashIgnoresWhatDoesNotTouchTheContainer() throws {
        let base = try load("services:\n  web:\n    image: nginx\n")
        let other = try load("services:\n  web:\n    image: nginx\n    build: .\n    pull_policy: build\n    scale: 2\n    profiles: [x]\n    depends_on: [db]\n  db:\n    image: x\n", profiles: ["x"])
        #expect(base.configHash(of: "web") == other.configHash(of: "web"))
        let changed = try load("services:\n  web:\n    image: nginx\n    environment: [A=1]\n")
        #expect(base.configHash(of: "web") != changed.configHash(of: "web"))
    }

    @Test func containerHashFollowsEnvFileAndConfigContent() throws {
        let directory = NSTemporaryDirectory() + "swiftcompose-hash-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let compose = "services:\n  web:\n    image: nginx\n    env_file: app.env\n    configs: [site]\nconfigs:\n  site:\n    content: ${CONTENT}\n"
        try compose.write(toFile: directory + "/compose.yaml", atomically: true, encoding: .utf8)
        func hash(env: String, content: String) throws -> String? {
            try env.write(toFile: directory + "/app.env", atomically: true, encoding: .utf8)
            var options = LoadOptions(workingDirectory: directory, environment: ["CONTENT": content])
            options.projectName = "hash"
            return try ProjectLoader.load(options).containerConfigHash(of: "web")
        }
        let first = try hash(env: "A=1\n", content: "one")
        #expect(first == (try hash(env: "A=1\n", content: "one")))
        #expect(first != (try hash(env: "A=2\n", content: "one")))
        #expect(first != (try hash(env: "A=1\n", content: "two")))
    }

    @Test func dependencyOrderIsDeterministic() throws {
        let project = try load("services:\n  web:\n    image: x\n    depends_on: [api, cache]\n  api:\n    image: x\n    depends_on: [db]\n  db:\n    image: x\n  cache:\n    image: x\n  admin:\n    image: x\n    links: [db]\n")
        #expect(try project.dependencyOrder() == ["cache", "db", "admin", "api", "web"])
        #expect(project.dependencyGraph.closure(of: ["api"]) == ["api", "db"])
        #expect(project.dependencyGraph.dependents(of: ["db"]) == ["api", "web", "admin"])
    }

    @Test func multipleFilesMergeByComposeRules() throws {
        let directory = NSTemporaryDirectory() + "swiftcompose-merge-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "services:\n  web:\n    image: nginx\n    command: [a, b]\n    ports: ['80:80']\n    environment: [A=1, B=1]\n    labels: {x: '1'}\n".write(toFile: directory + "/compose.yaml", atomically: true, encoding: .utf8)
        try "services:\n  web:\n    command: [c]\n    ports: ['443:443']\n    environment: {B: '2'}\n    labels: [y=2]\n".write(toFile: directory + "/compose.override.yaml", atomically: true, encoding: .utf8)
        let project = try ProjectLoader.load(LoadOptions(workingDirectory: directory, environment: [:]))
        let web = try #require(project.service(named: "web"))
        #expect(web.command == ["c"])
        #expect(web.ports.map(\.target) == [80, 443])
        #expect(web.environment.map { "\($0.key)=\($0.value ?? "")" } == ["A=1", "B=2"])
        #expect(web.labels == ["x": "1", "y": "2"])
        #expect(project.configFiles.count == 2)
    }

    @Test func projectNameRules() throws {
        var options = LoadOptions(workingDirectory: "/tmp", environment: [:])
        options.standardInput = "services:\n  a:\n    image: x\n"
        options.files = ["-"]
        options.projectName = "Bad Name"
        #expect(throws: ComposeError.self) { try ProjectLoader.load(options) }
        options.projectName = nil
        options.environment = ["COMPOSE_PROJECT_NAME": "from-env"]
        #expect(try ProjectLoader.load(options).name == "from-env")
        #expect(ProjectName.normalize("My_App.v2") == "my_appv2")
        #expect(ProjectName.normalize("__x") == "x")
    }

    @Test func composeProfilesVariableEnablesServices() throws {
        var options = LoadOptions(workingDirectory: "/tmp", environment: ["COMPOSE_PROFILES": "debug"])
        options.files = ["-"]
        options.projectName = "p"
        options.standardInput = "services:\n  a:\n    image: x\n  b:\n    image: x\n    profiles: [debug]\n  c:\n    image: x\n    profiles: [other]\n"
        let project = try ProjectLoader.load(options)
        #expect(project.serviceNames == ["a", "b"])
        #expect(project.disabledServices == ["c"])
    }

    @Test func typedServiceView() throws {
        let project = try load("""
            services:
              web:
                image: nginx
                command: nginx -g 'daemon off;'
                ports: ["127.0.0.1:8080:80/udp"]
                volumes: ["data:/data:ro", "/host:/container"]
                healthcheck: {test: "curl -f http://x", interval: 2s, retries: 5}
                depends_on: {db: {condition: service_healthy}}
                deploy: {replicas: 3, resources: {limits: {memory: 64m, cpus: "0.5"}}}
                ulimits: {nofile: {soft: 10, hard: 20}}
                stop_grace_period: 1m30s
              db:
                image: postgres
            volumes:
              data:
            """)
        let web = try #require(project.service(named: "web"))
        #expect(web.command == ["nginx", "-g", "daemon off;"])
        #expect(web.ports == [PortConfig(node: .object(ConfigObject([("target", .int(80)), ("published", .string("8080")), ("host_ip", .string("127.0.0.1")), ("protocol", .string("udp")), ("mode", .string("ingress"))])))])
        #expect(web.volumes.map(\.type) == [.volume, .bind])
        #expect(web.volumes[0].readOnly)
        #expect(web.healthcheck?.test == ["CMD-SHELL", "curl -f http://x"])
        #expect(web.healthcheck?.intervalNanoseconds == 2_000_000_000)
        #expect(web.dependsOn.first?.dependency.condition == .healthy)
        #expect(web.replicas == 3)
        #expect(web.memoryLimit == 64 * 1024 * 1024)
        #expect(web.cpus == 0.5)
        #expect(web.ulimits.first?.soft == 10)
        #expect(web.stopGracePeriodNanoseconds == 90_000_000_000)
    }

    private func load(_ text: String, profiles: [String] = []) throws -> Project {
        var options = LoadOptions(workingDirectory: "/tmp", environment: [:])
        options.files = ["-"]
        options.projectName = "test"
        options.profiles = profiles
        options.standardInput = text
        return try ProjectLoader.load(options)
    }
}
