import ArgumentParser

/// A command whose commonest command lines can be read without ArgumentParser. Its first
/// parse of a command in a new process is cold work: every option reflected one by one, the
/// runtime's type lookups, each a scan of the binary's 6,800 conformance records. For
/// `container run` (52 options) that is ~3 ms of a ~11 ms `run --rm IMAGE true`.
/// `quickParse` answers only lines it reads exactly as the full parse would, and nil to
/// anything else (other flags, other spellings, `--`, help, mistakes), which the full parse
/// then answers as always. `QuickParseTests` (CLITests) holds both to the same result.
protocol QuicklyParsed: ParsableCommand {
    static func quickParse(_ arguments: [String]) -> Self?
}

extension ContainerRunCommand: QuicklyParsed {
    private static var flags: [String: WritableKeyPath<ContainerRunOptions, Bool>] { [
        "--interactive": \.interactive, "--tty": \.tty, "--init": \.`init`, "--read-only": \.readOnly, "--privileged": \.privileged,
    ] }
    private static var values: [String: WritableKeyPath<ContainerRunOptions, String?>] { [
        "--name": \.name, "--rootfs": \.rootfs, "--workdir": \.workdir, "--user": \.user, "--network": \.network,
        "--entrypoint": \.entrypoint,
    ] }
    private static var lists: [String: WritableKeyPath<ContainerRunOptions, [String]>] { [
        "--env": \.env, "--volume": \.volume, "--label": \.label,
    ] }
    private static let shortValues = ["e": "--env", "v": "--volume", "l": "--label", "w": "--workdir", "u": "--user"]

    static func quickParse(_ arguments: [String]) -> ContainerRunCommand? {
        let (flags, values, lists) = (Self.flags, Self.values, Self.lists)
        var options = ContainerRunOptions.defaults
        var detach = false, remove = false
        var given: Set<String> = []
        var index = 0
        func take(_ attached: Substring?) -> String? {
            if let attached { return String(attached) }
            guard index < arguments.count, !arguments[index].hasPrefix("-") else { return nil }
            index += 1
            return arguments[index - 1]
        }
        while index < arguments.count, arguments[index].hasPrefix("-"), arguments[index] != "-" {
            let word = arguments[index]
            index += 1
            var name = word, attached: Substring?
            if !word.hasPrefix("--") {
                // A bundle of -d -i -t, or one short option whose value is the next word.
                let letters = word.dropFirst()
                if !letters.isEmpty, letters.allSatisfy({ "dit".contains($0) }) {
                    for letter in letters {
                        switch letter {
                        case "d": detach = true
                        case "i": options.interactive = true
                        default: options.tty = true
                        }
                    }
                    continue
                }
                guard let long = shortValues[String(letters)] else { return nil }
                name = long
            } else if let equals = word.firstIndex(of: "=") {
                name = String(word[..<equals])
                attached = word[word.index(after: equals)...]
            }
            if attached == nil, name == "--rm" { remove = true; continue }
            if attached == nil, name == "--detach" { detach = true; continue }
            if attached == nil, let flag = flags[name] { options[keyPath: flag] = true; continue }
            if let value = values[name] {
                // Given twice: which one wins is the full parse's to say.
                guard given.insert(name).inserted, let text = take(attached) else { return nil }
                options[keyPath: value] = text
            } else if let list = lists[name] {
                guard let text = take(attached) else { return nil }
                options[keyPath: list].append(text)
            } else {
                return nil
            }
        }
        guard index < arguments.count else { return nil }
        var command = ContainerRunCommand()
        command.engine = EngineOptions.defaults
        command.options = options
        command.detach = detach
        command.remove = remove
        command.arguments = Array(arguments[index...])
        return command
    }
}

extension EngineOptions {
    static var defaults: EngineOptions {
        var options = EngineOptions()
        options.root = nil
        return options
    }
}

extension ContainerRunOptions {
    /// Every option as a command line without it leaves it. A value made without parsing
    /// must set them all, each by its setter: reading (even to modify) an option
    /// ArgumentParser never set is fatal.
    static var defaults: ContainerRunOptions {
        var options = ContainerRunOptions()
        options.name = nil
        options.user = nil
        options.workdir = nil
        options.hostname = nil
        options.domainname = nil
        options.entrypoint = nil
        options.memory = nil
        options.memorySwap = nil
        options.memoryReservation = nil
        options.cpusetCpus = nil
        options.shmSize = nil
        options.stopSignal = nil
        options.network = nil
        options.pid = nil
        options.ipc = nil
        options.healthCmd = nil
        options.healthInterval = nil
        options.healthTimeout = nil
        options.healthStartPeriod = nil
        options.healthStartInterval = nil
        options.rootfs = nil
        options.cpus = nil
        options.cpuShares = nil
        options.pidsLimit = nil
        options.oomScoreAdj = nil
        options.stopTimeout = nil
        options.healthRetries = nil
        options.env = []
        options.envFile = []
        options.groupAdd = []
        options.volume = []
        options.tmpfs = []
        options.capAdd = []
        options.capDrop = []
        options.securityOpt = []
        options.device = []
        options.sysctl = []
        options.ulimit = []
        options.label = []
        options.addHost = []
        options.dns = []
        options.dnsSearch = []
        options.dnsOption = []
        options.logOpt = []
        options.interactive = false
        options.tty = false
        options.readOnly = false
        options.privileged = false
        options.`init` = false
        options.noHealthcheck = false
        options.restart = "no"
        options.logDriver = "json-file"
        return options
    }
}
