import Glibc

/// The running kernel's version (`uname -r`), for features that depend on it.
struct KernelRelease: Sendable, Equatable {
    let major: Int
    let minor: Int

    /// "6.8.0-45-generic" → 6.8; anything unreadable counts as 0.0.
    init(_ release: String) {
        let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(2).map { Int($0) ?? 0 }
        major = numbers.first ?? 0
        minor = numbers.count > 1 ? numbers[1] : 0
    }

    static let current: KernelRelease = {
        var name = utsname()
        guard uname(&name) == 0 else { return KernelRelease("") }
        let release = withUnsafeBytes(of: name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return KernelRelease(release)
    }()

    func atLeast(_ major: Int, _ minor: Int) -> Bool {
        self.major > major || (self.major == major && self.minor >= minor)
    }
}
