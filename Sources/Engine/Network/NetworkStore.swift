import FoundationEssentials
import Glibc
import SystemSupport

/// Network records under `<root>/networks`, one JSON file per network, written atomically;
/// every change happens while holding `<root>/networks/.lock`.
struct NetworkStore {
    let directory: String

    init(state: StateRoot) {
        directory = state.path("networks")
    }

    /// Runs `body` holding the store's lock.
    func locked<T>(_ body: () throws(EngineError) -> T) throws(EngineError) -> T {
        let lock: FileLock
        do {
            try makeDirectories(directory, mode: 0o700)
            lock = try FileLock(exclusive: directory + "/.lock")
        } catch {
            throw EngineError(.system, "cannot lock the network records in \(directory)", cause: error)
        }
        defer { withExtendedLifetime(lock) {} }
        return try body()
    }

    func all() throws(EngineError) -> [NetworkRecord] {
        guard let directoryHandle = opendir(directory) else { return [] }
        defer { closedir(directoryHandle) }
        var names: [String] = []
        while let entry = readdir(directoryHandle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasSuffix(".json") { names.append(name) }
        }
        var records: [NetworkRecord] = []
        for name in names.sorted() {
            if let record = try read(path: directory + "/" + name) { records.append(record) }
        }
        return records.sorted { $0.name < $1.name }
    }

    /// The network called `reference`, or whose id starts with it.
    func find(_ reference: String) throws(EngineError) -> NetworkRecord? {
        let records = try all()
        if let exact = records.first(where: { $0.name == reference || $0.id == reference }) { return exact }
        let byPrefix = records.filter { $0.id.hasPrefix(reference) }
        if byPrefix.count > 1 {
            throw EngineError(.conflict, "network id prefix \(reference) is ambiguous; give more of the id or the name")
        }
        return byPrefix.first
    }

    func save(_ record: NetworkRecord) throws(EngineError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        do {
            let data = try encoder.encode(record)
            try AtomicFile.write(Array(data), to: path(of: record.id), mode: 0o600)
        } catch {
            throw EngineError(.system, "cannot write the record of network \(record.name)", cause: error)
        }
    }

    func delete(_ record: NetworkRecord) {
        unlink(path(of: record.id))
    }

    private func path(of id: String) -> String { directory + "/" + id + ".json" }

    private func read(path: String) throws(EngineError) -> NetworkRecord? {
        let bytes: [UInt8]?
        do { bytes = try AtomicFile.read(path) } catch {
            throw EngineError(.system, "cannot read network record \(path)", cause: error)
        }
        guard let bytes else { return nil }
        do {
            return try JSONDecoder().decode(NetworkRecord.self, from: Data(bytes))
        } catch {
            throw EngineError(.corrupt, "network record \(path) is unreadable; remove it to forget the network", cause: error)
        }
    }
}
