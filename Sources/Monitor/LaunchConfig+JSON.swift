import NetworkServices
import SystemSupport

// LaunchConfig ⇄ JSON by hand: the monitor has no Codable/Foundation.

private func optional(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
private func number<T: BinaryInteger>(_ value: T) -> JSONValue { .number(Double(value)) }

private func uint64(_ value: JSONValue?) -> UInt64 {
    // 64-bit values (capability masks, unlimited rlimits) travel as decimal strings.
    if let text = value?.stringValue { return UInt64(text) ?? 0 }
    return UInt64(max(0, value?.intValue ?? 0))
}

extension LaunchConfig.Process {
    public var json: JSONValue {
        .object([
            ("arguments", JSONValue(arguments)), ("environment", JSONValue(environment)),
            ("workingDirectory", .string(workingDirectory)), ("uid", number(uid)), ("gid", number(gid)),
            ("groups", .array(groups.map { number($0) })), ("capabilities", .string(String(capabilities))),
            ("noNewPrivileges", .bool(noNewPrivileges)), ("seccompProgram", optional(seccompProgram)),
            ("tty", .bool(tty)), ("openStdin", .bool(openStdin)), ("init", .bool(initProcess)),
        ])
    }

    public init(json: JSONValue) {
        self.init(arguments: json["arguments"]?.stringArray ?? [], environment: json["environment"]?.stringArray ?? [],
                  workingDirectory: json["workingDirectory"]?.stringValue ?? "/")
        uid = UInt32(json["uid"]?.intValue ?? 0)
        gid = UInt32(json["gid"]?.intValue ?? 0)
        groups = json["groups"]?.arrayValue?.compactMap { $0.intValue.map(UInt32.init) } ?? []
        capabilities = uint64(json["capabilities"])
        noNewPrivileges = json["noNewPrivileges"]?.boolValue ?? false
        seccompProgram = json["seccompProgram"]?.stringValue
        tty = json["tty"]?.boolValue ?? false
        openStdin = json["openStdin"]?.boolValue ?? false
        initProcess = json["init"]?.boolValue ?? false
    }
}

extension LaunchConfig {
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("id", .string(id)), ("directory", .string(directory)), ("controlSocket", .string(controlSocket)),
            ("rootfs", .string(rootfs)), ("rootfsType", optional(rootfsType)), ("rootfsData", optional(rootfsData)),
            ("namespaces", JSONValue(namespaces)), ("joinNamespaces", JSONValue(joinNamespaces)),
            ("joinPidNamespace", optional(joinPidNamespace)),
            ("cgroupProcs", JSONValue(cgroupProcs)), ("cgroupDirectories", JSONValue(cgroupDirectories)),
            ("autoRemovePaths", JSONValue(autoRemovePaths)),
            ("oomCounter", optional(oomCounter)),
            ("hostname", optional(hostname)), ("domainname", optional(domainname)),
        ]
        members.append(("mounts", .array(mounts.map {
            .object([("source", .string($0.source)), ("target", .string($0.target)), ("type", optional($0.type)),
                     ("data", optional($0.data)), ("flags", number($0.flags)), ("targetIsFile", .bool($0.targetIsFile)),
                     ("content", optional($0.content))])
        })))
        members.append(("devices", .array(devices.map {
            .object([("path", .string($0.path)), ("mode", number($0.mode)), ("major", number($0.major)),
                     ("minor", number($0.minor)), ("uid", number($0.uid)), ("gid", number($0.gid))])
        })))
        members += [
            ("symlinks", .array(symlinks.map { JSONValue($0) })),
            ("maskedPaths", JSONValue(maskedPaths)), ("readonlyPaths", JSONValue(readonlyPaths)),
            ("readonlyRootfs", .bool(readonlyRootfs)), ("sysctls", JSONValue(sysctls)),
            ("rlimits", .array(rlimits.map {
                .object([("resource", number($0.resource)), ("soft", .string(String($0.soft))), ("hard", .string(String($0.hard)))])
            })),
            ("oomScoreAdj", oomScoreAdj.map { JSONValue($0) } ?? .null),
            ("process", process.json), ("logPath", optional(logPath)),
            ("logMaxSize", number(logMaxSize)), ("logMaxFiles", number(logMaxFiles)),
            ("restartPolicy", .string(restartPolicy)), ("restartMaxRetries", number(restartMaxRetries)),
            ("stopSignal", number(stopSignal)), ("stopTimeout", number(stopTimeout)), ("autoRemove", .bool(autoRemove)),
            ("proxiedPorts", JSONValue(proxiedPorts.map(\.argument))),
        ]
        if let healthcheck {
            members.append(("healthcheck", .object([
                ("test", JSONValue(healthcheck.test)), ("interval", number(healthcheck.interval)),
                ("timeout", number(healthcheck.timeout)), ("startPeriod", number(healthcheck.startPeriod)),
                ("startInterval", number(healthcheck.startInterval)), ("retries", number(healthcheck.retries)),
            ])))
        }
        return .object(members)
    }

    public init(json: JSONValue) throws(EngineError) {
        guard let id = json["id"]?.stringValue, let directory = json["directory"]?.stringValue,
              let socket = json["controlSocket"]?.stringValue, let rootfs = json["rootfs"]?.stringValue,
              let process = json["process"] else {
            throw EngineError(.corrupt, "the container's launch configuration lacks id, directory, socket, rootfs or process")
        }
        self.init(id: id, directory: directory, controlSocket: socket, rootfs: rootfs, process: Process(json: process))
        rootfsType = json["rootfsType"]?.stringValue
        rootfsData = json["rootfsData"]?.stringValue
        namespaces = json["namespaces"]?.stringArray ?? namespaces
        joinNamespaces = json["joinNamespaces"]?.stringArray ?? []
        joinPidNamespace = json["joinPidNamespace"]?.stringValue
        cgroupProcs = json["cgroupProcs"]?.stringArray ?? []
        cgroupDirectories = json["cgroupDirectories"]?.stringArray ?? []
        autoRemovePaths = json["autoRemovePaths"]?.stringArray ?? []
        oomCounter = json["oomCounter"]?.stringValue
        hostname = json["hostname"]?.stringValue
        domainname = json["domainname"]?.stringValue
        mounts = (json["mounts"]?.arrayValue ?? []).map {
            Mount(source: $0["source"]?.stringValue ?? "", target: $0["target"]?.stringValue ?? "/",
                  type: $0["type"]?.stringValue, data: $0["data"]?.stringValue,
                  flags: UInt($0["flags"]?.intValue ?? 0), targetIsFile: $0["targetIsFile"]?.boolValue ?? false,
                  content: $0["content"]?.stringValue)
        }
        devices = (json["devices"]?.arrayValue ?? []).map {
            Device(path: $0["path"]?.stringValue ?? "", mode: UInt32($0["mode"]?.intValue ?? 0),
                   major: UInt32($0["major"]?.intValue ?? 0), minor: UInt32($0["minor"]?.intValue ?? 0),
                   uid: UInt32($0["uid"]?.intValue ?? 0), gid: UInt32($0["gid"]?.intValue ?? 0))
        }
        symlinks = (json["symlinks"]?.arrayValue ?? []).map(\.stringArray).filter { $0.count == 2 }
        maskedPaths = json["maskedPaths"]?.stringArray ?? []
        readonlyPaths = json["readonlyPaths"]?.stringArray ?? []
        readonlyRootfs = json["readonlyRootfs"]?.boolValue ?? false
        sysctls = json["sysctls"]?.stringMap ?? [:]
        rlimits = (json["rlimits"]?.arrayValue ?? []).map {
            Rlimit(resource: Int32($0["resource"]?.intValue ?? 0), soft: uint64($0["soft"]), hard: uint64($0["hard"]))
        }
        oomScoreAdj = json["oomScoreAdj"]?.intValue
        logPath = json["logPath"]?.stringValue
        logMaxSize = Int64(json["logMaxSize"]?.intValue ?? 0)
        logMaxFiles = json["logMaxFiles"]?.intValue ?? 1
        restartPolicy = json["restartPolicy"]?.stringValue ?? "no"
        restartMaxRetries = json["restartMaxRetries"]?.intValue ?? 0
        stopSignal = Int32(json["stopSignal"]?.intValue ?? 15)
        stopTimeout = json["stopTimeout"]?.intValue ?? 10
        autoRemove = json["autoRemove"]?.boolValue ?? false
        for text in json["proxiedPorts"]?.stringArray ?? [] {
            guard let binding = PortBinding(argument: text) else {
                throw EngineError(.corrupt, "the container's launch configuration has an unreadable published port \"\(text)\"")
            }
            proxiedPorts.append(binding)
        }
        if let check = json["healthcheck"], check != .null {
            healthcheck = Healthcheck(
                test: check["test"]?.stringArray ?? [], interval: Int64(check["interval"]?.intValue ?? 30_000_000_000),
                timeout: Int64(check["timeout"]?.intValue ?? 30_000_000_000),
                startPeriod: Int64(check["startPeriod"]?.intValue ?? 0),
                startInterval: Int64(check["startInterval"]?.intValue ?? 5_000_000_000),
                retries: check["retries"]?.intValue ?? 3)
        }
    }

    /// The config in `bytes`, read from `source` (named in errors).
    public static func parse(_ bytes: [UInt8], from source: String) throws(EngineError) -> LaunchConfig {
        do { return try LaunchConfig(json: try JSONValue.parse(bytes)) } catch let error as JSONSyntaxError {
            throw EngineError(.corrupt, "the container configuration \(source) is damaged", cause: error)
        } catch let error as EngineError { throw error } catch {
            throw EngineError(.corrupt, "the container configuration \(source) is damaged")
        }
    }
}
