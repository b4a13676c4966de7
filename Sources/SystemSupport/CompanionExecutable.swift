import Glibc

/// A program shipped beside the running executable (`swiftcompose-monitor`,
/// `swiftcompose-netd`), or the one the environment variable `override` names.
public func companionExecutable(_ name: String, override: String) -> String {
    if let value = getenv(override), value.pointee != 0 { return String(cString: value) }
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    let own = count > 0 ? String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    let directory = own.lastIndex(of: "/").map { String(own[..<$0]) } ?? "."
    return directory + "/" + name
}
