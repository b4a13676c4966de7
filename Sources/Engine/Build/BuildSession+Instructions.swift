import Foundation
import SystemSupport

/// The instructions that change only the image configuration, and the dispatch of the
/// ones that make layers (RUN, COPY, ADD, WORKDIR).
extension BuildSession {
    mutating func execute(_ instruction: Dockerfile.Instruction, _ stage: inout BuildStage, label: String,
                          in dockerfile: Dockerfile, stageIndex: Int) async throws(EngineError) {
        let step = nextStep(label, instruction.text)
        let started = Date()
        let words = ShellWords(escape: escape, variables: stage.variables)
        func expand(_ text: String) throws(EngineError) -> String {
            do { return try words.word(text) } catch { throw failure(instruction, error.message) }
        }
        func split(_ text: String) throws(EngineError) -> [String] {
            do { return try words.words(text) } catch { throw failure(instruction, error.message) }
        }
        var emptyLayer = true
        switch instruction.keyword {
        case "ENV", "LABEL":
            for (key, value) in try pairs(instruction, words) {
                if instruction.keyword == "ENV" {
                    stage.setEnvironment(key, value)
                } else {
                    stage.config.Labels = (stage.config.Labels ?? [:]).merging([key: value]) { $1 }
                }
            }
        case "MAINTAINER":
            stage.config.Labels = (stage.config.Labels ?? [:]).merging(["maintainer": instruction.argumentText]) { $1 }
        case "ARG":
            for (name, defaultValue) in try argDeclarations(instruction, variables: stage.variables) {
                consumedArgs.insert(name)
                if let value = request.buildArgs[name] ?? defaultValue ?? globalArgs[name] {
                    stage.args[name] = value
                }
            }
        case "CMD":
            stage.config.Cmd = command(instruction, stage)
            stage.commandSetHere = true
        case "ENTRYPOINT":
            stage.config.Entrypoint = command(instruction, stage)
            if !stage.commandSetHere { stage.config.Cmd = nil }
        case "EXPOSE":
            var ports = stage.config.ExposedPorts ?? [:]
            for port in try split(instruction.argumentText) {
                for key in try exposedPorts(port, instruction) { ports[key] = .init() }
            }
            stage.config.ExposedPorts = ports
        case "USER":
            stage.config.User = try expand(instruction.argumentText)
        case "VOLUME":
            var volumes = stage.config.Volumes ?? [:]
            let paths: [String]
            if case .exec(let list) = instruction.arguments { paths = try list.map(expand) } else { paths = try split(instruction.argumentText) }
            for path in paths where !path.isEmpty { volumes[path] = .init() }
            stage.config.Volumes = volumes
        case "STOPSIGNAL":
            stage.config.StopSignal = try expand(instruction.argumentText)
        case "SHELL":
            guard case .exec(let shell) = instruction.arguments, !shell.isEmpty else {
                throw failure(instruction, "SHELL requires the JSON form, e.g. SHELL [\"/bin/bash\", \"-c\"]")
            }
            stage.config.Shell = shell
        case "HEALTHCHECK":
            stage.config.Healthcheck = try healthcheck(instruction, stage)
        case "ONBUILD":
            let trigger = instruction.argumentText
            let keyword = trigger.split(separator: " ").first.map { $0.uppercased() } ?? ""
            guard !["ONBUILD", "FROM", "MAINTAINER"].contains(keyword) else {
                throw failure(instruction, "\(keyword) is not allowed as an ONBUILD trigger")
            }
            do { _ = try DockerfileParser.parseLine(trigger, line: instruction.line, escape: escape, file: file) } catch {
                throw EngineError(.invalidArgument, error.description)
            }
            stage.config.OnBuild = (stage.config.OnBuild ?? []) + [trigger]
        case "WORKDIR":
            let path = try expand(instruction.argumentText)
            let base = stage.config.WorkingDir ?? "/"
            let absolute = "/" + PathPattern.clean(path.hasPrefix("/") ? path : base + "/" + path)
            stage.config.WorkingDir = absolute
            emptyLayer = try await makeDirectoryLayer(absolute, &stage, step: step, instruction)
        case "RUN":
            try await run(instruction, &stage, step: step)
            emptyLayer = false
        case "COPY", "ADD":
            try await copy(instruction, &stage, step: step, in: dockerfile, stageIndex: stageIndex)
            emptyLayer = false
        default:
            throw failure(instruction, "is not supported")
        }
        stage.record(instruction.text, emptyLayer: emptyLayer)
        progress(.finished(id: step, seconds: Date().timeIntervalSince(started)))
    }

    /// `KEY=value …` pairs, or the old `KEY value with spaces` form.
    private func pairs(_ instruction: Dockerfile.Instruction, _ words: ShellWords) throws(EngineError) -> [(String, String)] {
        let raw = ShellWords.rawWords(instruction.argumentText, escape: escape)
        guard let first = raw.first else { throw failure(instruction, "requires at least one argument") }
        do {
            if !first.contains("=") {
                let rest = instruction.argumentText.drop { $0 == " " }.dropFirst(first.count).drop { $0 == " " || $0 == "\t" }
                guard !rest.isEmpty || instruction.keyword == "LABEL" else {
                    throw failure(instruction, "\(first) needs a value: write \(first)=value")
                }
                return [(try words.word(first), try words.word(String(rest)))]
            }
            return try raw.map { (word) throws -> (String, String) in
                let parts = word.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty else {
                    throw failure(instruction, "\(word) is not of the form KEY=value")
                }
                return (try words.word(String(parts[0])), try words.word(String(parts[1])))
            }
        } catch let error as EngineError {
            throw error
        } catch {
            throw failure(instruction, (error as? ShellWords.Failure)?.message ?? "\(error)")
        }
    }

    private func command(_ instruction: Dockerfile.Instruction, _ stage: BuildStage) -> [String] {
        switch instruction.arguments {
        case .exec(let words): words
        case .shell(let text): stage.shellCommand(text)
        }
    }

    /// `80`, `80/tcp`, `53/udp`, `8000-8002` → "80/tcp" keys.
    private func exposedPorts(_ text: String, _ instruction: Dockerfile.Instruction) throws(EngineError) -> [String] {
        let parts = text.split(separator: "/", maxSplits: 1)
        let proto = parts.count == 2 ? parts[1].lowercased() : "tcp"
        guard ["tcp", "udp", "sctp"].contains(proto), let range = parts.first else {
            throw failure(instruction, "invalid port \(text)")
        }
        let bounds = range.split(separator: "-", maxSplits: 1).map { UInt16($0) }
        guard let low = bounds.first ?? nil, let high = bounds.last ?? nil, low <= high else {
            throw failure(instruction, "invalid port \(text)")
        }
        return (low...high).map { "\($0)/\(proto)" }
    }

    private func healthcheck(_ instruction: Dockerfile.Instruction, _ stage: BuildStage) throws(EngineError) -> ImageConfiguration.Healthcheck {
        let text = instruction.argumentText.trimmingCharacters(in: .whitespaces)
        var check = ImageConfiguration.Healthcheck()
        if text.uppercased() == "NONE" {
            check.Test = ["NONE"]
            return check
        }
        guard text.uppercased().hasPrefix("CMD") else { throw failure(instruction, "expected CMD or NONE after the options") }
        let rest = text.dropFirst(3).trimmingCharacters(in: .whitespaces)
        guard !rest.isEmpty else { throw failure(instruction, "CMD needs a command") }
        if rest.hasPrefix("["), let words = try? JSONDecoder().decode([String].self, from: Data(rest.utf8)) {
            check.Test = ["CMD"] + words
        } else {
            check.Test = ["CMD-SHELL", rest]
        }
        func duration(_ flag: String) throws(EngineError) -> Int64? {
            guard let value = instruction.flags[flag] else { return nil }
            guard let nanoseconds = Self.durationNanoseconds(value) else {
                throw failure(instruction, "--\(flag)=\(value) is not a duration (like 30s, 1m30s, 500ms)")
            }
            return nanoseconds
        }
        check.Interval = try duration("interval")
        check.Timeout = try duration("timeout")
        check.StartPeriod = try duration("start-period")
        check.StartInterval = try duration("start-interval")
        if let retries = instruction.flags["retries"] {
            guard let count = Int(retries), count >= 0 else { throw failure(instruction, "--retries=\(retries) is not a number") }
            check.Retries = count
        }
        return check
    }

    /// Go durations as Docker reads them: `1h2m3s`, `1.5s`, `300ms`, `10us`, `5ns`.
    static func durationNanoseconds(_ text: String) -> Int64? {
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        var rest = Substring(text)
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let unit = units.filter({ rest.hasPrefix($0.0) }).max(by: { $0.0.count < $1.0.count }) else { return nil }
            rest = rest.dropFirst(unit.0.count)
            total += value * unit.1
        }
        return Int64(total)
    }
}
