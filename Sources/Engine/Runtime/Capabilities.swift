import CCap
import Glibc
import SystemSupport

/// Capability sets as 64-bit masks; names through libcap (`cap_from_name`).
public enum Capabilities {
    /// Docker's default set (CapEff 00000000a80425fb).
    public static let dockerDefault = [
        "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID", "SETFCAP",
        "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
    ]

    /// The capability number of `CHOWN`, `cap_chown` or `CAP_CHOWN`.
    public static func number(_ name: String) -> Int? {
        var lower = name.lowercased()
        if !lower.hasPrefix("cap_") { lower = "cap_" + lower }
        var value: cap_value_t = 0
        return cap_from_name(lower, &value) == 0 ? Int(value) : nil
    }

    /// What this process may grant at all: its bounding set ("all capabilities" means these;
    /// here root may lack CAP_SYS_RESOURCE).
    public static func bounding() -> UInt64 {
        guard let bytes = (try? AtomicFile.read("/proc/self/status")) ?? nil else { return 0 }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("CapBnd:") {
            return UInt64(line.dropFirst(7).trimmed(of: " \t"), radix: 16) ?? 0
        }
        return 0
    }

    public static func mask(_ names: [String]) throws(EngineError) -> UInt64 {
        var mask: UInt64 = 0
        for name in names {
            guard let bit = number(name), bit < 64 else {
                throw EngineError(.invalidArgument, "unknown capability \"\(name)\"; use names like NET_ADMIN or CAP_NET_ADMIN")
            }
            mask |= 1 << UInt64(bit)
        }
        return mask
    }

    /// Docker's rule: start from the default set (or all, when privileged), add cap_add,
    /// remove cap_drop; "ALL" in either list means every capability.
    public static func effective(privileged: Bool, add: [String], drop: [String], bounding: UInt64) throws(EngineError) -> UInt64 {
        if privileged { return bounding }
        let isAll = { (name: String) in name.uppercased() == "ALL" || name.uppercased() == "CAP_ALL" }
        var result = drop.contains(where: isAll) ? 0 : try mask(dockerDefault)
        result &= ~(try mask(drop.filter { !isAll($0) }))
        result |= add.contains(where: isAll) ? bounding : try mask(add.filter { !isAll($0) })
        return result & bounding
    }
}

extension StringProtocol {
    /// The text without leading and trailing characters from `set`.
    func trimmed(of set: String) -> String {
        var slice = self[...]
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
