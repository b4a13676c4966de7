import FoundationEssentials
import Glibc
import Monitor
import SystemSupport

/// The container records under `<root>/containers`: one directory per container with the
/// engine's `config.json` and the monitor's `state.json`. Listing reads them in one scan.
struct ContainerStore: Sendable {
    let state: StateRoot

    func paths(_ id: String) -> ContainerPaths { ContainerPaths(state: state, id: id) }

    /// Holds the containers lock (create, rename, remove) while `body` runs.
    func locked<T>(_ body: () throws(EngineError) -> T) throws(EngineError) -> T {
        let lock: FileLock
        do {
            try makeSpreadingDirectory(ContainerPaths.containersDirectory(state))
            lock = try FileLock(exclusive: ContainerPaths.lockFile(state))
        } catch {
            throw EngineError(.system, "cannot lock the container records in \(state.root)", cause: error)
        }
        defer { withExtendedLifetime(lock) {} }
        return try body()
    }

    func write(_ record: ContainerRecord) throws(EngineError) {
        let paths = paths(record.id)
        do {
            try makeDirectories(paths.directory, mode: 0o710)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            // A container removed at its exit has nothing to recover after a power cut: its
            // record is spared the fsyncs (file and directory), milliseconds of its start.
            try AtomicFile.write(Array(try encoder.encode(record)), to: paths.record, mode: 0o600,
                                 durable: !record.spec.autoRemove)
        } catch let error as SystemCallError {
            throw EngineError(.system, "cannot write the record of container \(record.name)", cause: error)
        } catch {
            throw EngineError(.system, "cannot encode the record of container \(record.name): \(error)")
        }
    }

    func read(id: String) throws(EngineError) -> ContainerRecord? {
        let bytes: [UInt8]?
        do { bytes = try AtomicFile.read(paths(id).record) } catch {
            throw EngineError(.system, "cannot read the record of container \(id)", cause: error)
        }
        guard let bytes else { return nil }
        do { return try JSONDecoder().decode(ContainerRecord.self, from: Data(bytes)) } catch {
            throw EngineError(.corrupt, "the record of container \(id) (\(paths(id).record)) is damaged: \(error)")
        }
    }

    /// Every record, in one directory scan (damaged ones are skipped).
    func all() -> [ContainerRecord] {
        guard let directory = opendir(ContainerPaths.containersDirectory(state)) else { return [] }
        defer { closedir(directory) }
        var records: [ContainerRecord] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard Self.isID(name), let record = try? read(id: name) else { continue }
            records.append(record)
        }
        return records
    }

    /// A full id, a unique id prefix, or a name (with or without Docker's leading '/').
    func resolve(_ reference: String) throws(EngineError) -> ContainerRecord {
        // A full id is one read, not a scan: the orchestrator addresses containers that way.
        let name = reference.hasPrefix("/") ? String(reference.dropFirst()) : reference
        if Self.isID(reference) {
            // A whole id is no prefix of another: it is that container, or one so named, or none.
            if let record = (try? read(id: reference)) ?? holder(ofName: reference) { return record }
            throw EngineError(.notFound, "no such container: \(reference)")
        }
        if ContainerNames.isValid(name), let record = holder(ofName: name) { return record }
        let records = all()
        if let exact = records.first(where: { $0.id == reference || $0.name == name }) { return exact }
        let matches = records.filter { $0.id.hasPrefix(reference) }
        if matches.count == 1 { return matches[0] }
        if matches.count > 1 {
            throw EngineError(.invalidArgument, "multiple containers match \"\(reference)\"; give more of the id")
        }
        throw EngineError(.notFound, "no such container: \(reference)")
    }

    static func isID(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    static func newID() -> String { randomHexID() }
}
