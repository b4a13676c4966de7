import CSeccomp
import FoundationEssentials
import Glibc
import SystemSupport

/// A seccomp profile in Docker's JSON format (`security_opt: seccomp=FILE`): its default
/// action, and rules of syscall names with an action, an errno and argument conditions;
/// `includes`/`excludes` by capability are honoured, architectures are the native one.
struct SeccompProfileFile: Decodable {
    struct Argument: Decodable {
        var index: UInt32
        var value: UInt64
        var valueTwo: UInt64?
        var op: String
    }

    struct Filter: Decodable {
        var caps: [String]?
    }

    struct Rule: Decodable {
        var names: [String]?
        var name: String?
        var action: String
        var errnoRet: UInt32?
        var args: [Argument]?
        var includes: Filter?
        var excludes: Filter?
    }

    var defaultAction: String
    var defaultErrnoRet: UInt32?
    var syscalls: [Rule]?

    static func action(_ name: String, errno: UInt32?) throws(EngineError) -> UInt32 {
        switch name {
        case "SCMP_ACT_ALLOW": return 0x7FFF_0000
        case "SCMP_ACT_ERRNO": return 0x0005_0000 | ((errno ?? UInt32(EPERM)) & 0xFFFF)
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": return 0x0000_0000
        case "SCMP_ACT_KILL_PROCESS": return 0x8000_0000
        case "SCMP_ACT_TRAP": return 0x0003_0000
        case "SCMP_ACT_LOG": return 0x7FFC_0000
        case "SCMP_ACT_TRACE": return 0x7FF0_0000 | ((errno ?? 0) & 0xFFFF)
        default: throw EngineError(.invalidArgument, "seccomp profile: unknown action \(name)")
        }
    }

    static func comparison(_ op: String) throws(EngineError) -> scmp_compare {
        switch op {
        case "SCMP_CMP_NE": return SCMP_CMP_NE
        case "SCMP_CMP_LT": return SCMP_CMP_LT
        case "SCMP_CMP_LE": return SCMP_CMP_LE
        case "SCMP_CMP_EQ": return SCMP_CMP_EQ
        case "SCMP_CMP_GE": return SCMP_CMP_GE
        case "SCMP_CMP_GT": return SCMP_CMP_GT
        case "SCMP_CMP_MASKED_EQ": return SCMP_CMP_MASKED_EQ
        default: throw EngineError(.invalidArgument, "seccomp profile: unknown comparison \(op)")
        }
    }

    /// Compiles the profile at `file` for a container holding `capabilities` into `path`.
    static func compile(file: String, capabilities: UInt64, to path: String) throws(EngineError) {
        let bytes: [UInt8]?
        do { bytes = try AtomicFile.read(file) } catch { throw EngineError(.notFound, "cannot read the seccomp profile \(file)", cause: error) }
        guard let bytes else { throw EngineError(.notFound, "the seccomp profile \(file) does not exist") }
        let profile: SeccompProfileFile
        do { profile = try JSONDecoder().decode(SeccompProfileFile.self, from: Data(bytes)) } catch {
            throw EngineError(.invalidArgument, "the seccomp profile \(file) is not a Docker seccomp profile: \(error)")
        }
        let defaultAction = try action(profile.defaultAction, errno: profile.defaultErrnoRet)
        guard let context = seccomp_init(defaultAction) else {
            throw EngineError(.system, "libseccomp could not start a filter")
        }
        defer { seccomp_release(context) }
        let holds = { (names: [String]) -> Bool in names.allSatisfy { Capabilities.number($0).map { capabilities & (1 << UInt64($0)) != 0 } ?? false } }
        for rule in profile.syscalls ?? [] {
            if let needed = rule.includes?.caps, !needed.isEmpty, !holds(needed) { continue }
            if let excluded = rule.excludes?.caps, !excluded.isEmpty, holds(excluded) { continue }
            let ruleAction = try action(rule.action, errno: rule.errnoRet)
            var conditions = try (rule.args ?? []).map { (argument) throws(EngineError) -> scmp_arg_cmp in
                scmp_arg_cmp(arg: argument.index, op: try comparison(argument.op), datum_a: argument.value, datum_b: argument.valueTwo ?? 0)
            }
            for name in (rule.names ?? []) + (rule.name.map { [$0] } ?? []) {
                let number = seccomp_syscall_resolve_name(name)
                guard number >= 0 else { continue }
                let added = seccomp_rule_add_array(context, ruleAction, number, UInt32(conditions.count), &conditions)
                // A rule equal to the default action is refused by libseccomp and changes nothing.
                guard added == 0 || ruleAction == defaultAction else {
                    throw EngineError(.invalidArgument, "seccomp profile \(file): the rule for \(name) is invalid",
                                      cause: SystemCallError("seccomp_rule_add", name, errno: -added))
                }
            }
        }
        try SeccompProfile.export(context, to: path)
    }
}
