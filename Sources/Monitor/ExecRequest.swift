import SystemSupport

/// What `exec` asks of a running container's monitor: a command and how its process differs
/// from the container's own, whose launch config only the monitor holds.
public struct ExecRequest: Sendable, Equatable {
    public var arguments: [String]
    /// NAME=value entries over the container's environment.
    public var environment: [String] = []
    public var workingDirectory: String?
    /// Another user than the container's (resolved in its /etc/passwd by the caller).
    public var user: (uid: UInt32, gid: UInt32, groups: [UInt32])?
    /// `--privileged`: these capabilities, and no seccomp filter.
    public var privilegedCapabilities: UInt64?
    public var tty = false
    public var openStdin = false

    public init(arguments: [String]) { self.arguments = arguments }

    public static func == (lhs: ExecRequest, rhs: ExecRequest) -> Bool { lhs.json == rhs.json }

    /// The process to start: the container's, with this request's differences.
    public func process(over container: LaunchConfig.Process) -> LaunchConfig.Process {
        var process = container
        process.arguments = arguments
        process.tty = tty
        process.openStdin = openStdin
        process.initProcess = false
        if let workingDirectory { process.workingDirectory = workingDirectory }
        if let user {
            process.uid = user.uid
            process.gid = user.gid
            process.groups = user.groups
        }
        if let privilegedCapabilities {
            process.capabilities = privilegedCapabilities
            process.seccompProgram = nil
        }
        for entry in environment {
            let key = entry.split(separator: "=", maxSplits: 1).first.map(String.init) ?? entry
            process.environment.removeAll { $0.hasPrefix(key + "=") }
            process.environment.append(entry)
        }
        if tty, !process.environment.contains(where: { $0.hasPrefix("TERM=") }) { process.environment.append("TERM=xterm") }
        return process
    }

    public var json: JSONValue {
        var members: [(String, JSONValue)] = [("arguments", JSONValue(arguments)), ("environment", JSONValue(environment)),
                                              ("tty", .bool(tty)), ("openStdin", .bool(openStdin))]
        if let workingDirectory { members.append(("workingDirectory", .string(workingDirectory))) }
        if let user {
            members.append(("user", .object([("uid", .number(Double(user.uid))), ("gid", .number(Double(user.gid))),
                                             ("groups", .array(user.groups.map { .number(Double($0)) }))])))
        }
        // A 64-bit mask travels as a decimal string, as in the launch config.
        if let privilegedCapabilities { members.append(("privilegedCapabilities", .string(String(privilegedCapabilities)))) }
        return .object(members)
    }

    public init(json: JSONValue) {
        arguments = json["arguments"]?.stringArray ?? []
        environment = json["environment"]?.stringArray ?? []
        workingDirectory = json["workingDirectory"]?.stringValue
        if let user = json["user"] {
            self.user = (UInt32(user["uid"]?.intValue ?? 0), UInt32(user["gid"]?.intValue ?? 0),
                         user["groups"]?.arrayValue?.compactMap { $0.intValue.map(UInt32.init) } ?? [])
        }
        privilegedCapabilities = json["privilegedCapabilities"]?.stringValue.flatMap { UInt64($0) }
        tty = json["tty"]?.boolValue ?? false
        openStdin = json["openStdin"]?.boolValue ?? false
    }
}
