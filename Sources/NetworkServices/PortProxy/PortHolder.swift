import Glibc
import SystemSupport

/// Finds the process holding a host port, so a conflict can name it: the socket's inode
/// from /proc/net/{tcp,udp}{,6}, then the process with a descriptor on that inode.
public struct PortHolder: Sendable, Equatable, CustomStringConvertible {
    public let pid: Int32
    public let command: String

    public var description: String { "pid \(pid) (\(command))" }

    public static func find(port: UInt16, transport: PortBinding.Transport) -> PortHolder? {
        let tables = transport == .tcp ? ["/proc/net/tcp", "/proc/net/tcp6"] : ["/proc/net/udp", "/proc/net/udp6"]
        var inodes: Set<String> = []
        for table in tables {
            inodes.formUnion(socketInodes(in: readText(table), port: port, listeningOnly: transport == .tcp))
        }
        guard !inodes.isEmpty else { return nil }
        return process(owningAnyOf: Set(inodes.map { "socket:[\($0)]" }))
    }

    /// Inodes of sockets bound to `port` in a /proc/net table.
    static func socketInodes(in table: String, port: UInt16, listeningOnly: Bool) -> [String] {
        let wantedPort = String(port, radix: 16, uppercase: true)
        var result: [String] = []
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            guard fields.count >= 10, let colon = fields[1].lastIndex(of: ":") else { continue }
            let localPort = fields[1][fields[1].index(after: colon)...]
            guard UInt16(localPort, radix: 16) == port || localPort == wantedPort else { continue }
            if listeningOnly && fields[3] != "0A" { continue }
            if fields[9] != "0" { result.append(String(fields[9])) }
        }
        return result
    }

    private static func process(owningAnyOf targets: Set<String>) -> PortHolder? {
        for pid in numericEntries("/proc") {
            for fd in numericEntries("/proc/\(pid)/fd") {
                var buffer = [CChar](repeating: 0, count: 64)
                let count = readlink("/proc/\(pid)/fd/\(fd)", &buffer, buffer.count - 1)
                guard count > 0 else { continue }
                let link = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if targets.contains(link) {
                    var command = readText("/proc/\(pid)/comm")
                    while command.hasSuffix("\n") { command.removeLast() }
                    return PortHolder(pid: pid, command: command)
                }
            }
        }
        return nil
    }

    private static func numericEntries(_ directory: String) -> [Int32] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var result: [Int32] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let number = Int32(name) { result.append(number) }
        }
        return result
    }

    private static func readText(_ path: String) -> String {
        guard let bytes = (try? AtomicFile.read(path)).flatMap({ $0 }) else { return "" }
        return String(decoding: bytes, as: UTF8.self)
    }
}
