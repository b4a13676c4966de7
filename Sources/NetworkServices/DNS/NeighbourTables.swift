import Glibc
import SystemSupport

/// The endpoint tables of the engine's other networks (`<run>/networks/*/endpoints`). A
/// container attached to several networks resolves the names of all of them, as with
/// Docker, though its resolv.conf names one network's server and each server holds only
/// its own network's table; the others are read here when a name is not found locally.
public struct NeighbourTables: Sendable {
    /// The directory holding one directory per network.
    public let directory: String
    /// This network's own table, skipped.
    public let ownTable: String

    public init(directory: String, ownTable: String) {
        self.directory = directory
        self.ownTable = ownTable
    }

    /// Every other network's table that names its network.
    public func tables() -> [(network: String, table: EndpointTable)] {
        guard let handle = opendir(directory) else { return [] }
        var paths: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasPrefix(".") { continue }
            let path = directory + "/" + name + "/endpoints"
            if path != ownTable { paths.append(path) }
        }
        closedir(handle)
        return paths.sorted().compactMap { path in
            guard let bytes = (try? AtomicFile.read(path)).flatMap({ $0 }) else { return nil }
            let table = EndpointTable(parsing: String(decoding: bytes, as: UTF8.self))
            return table.network.map { ($0, table) }
        }
    }
}
