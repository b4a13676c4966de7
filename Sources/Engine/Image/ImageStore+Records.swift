import Foundation
import Glibc
import SystemSupport

/// Image records are written and deleted here only, so the name index beside them
/// (`images/names.json`, name → image id) follows every change. `resolve` reads the index and
/// one record instead of decoding every record (see `indexedRecord`); a hit is checked against the record it
/// names, and anything the index cannot answer is looked up the slow way, so a stale or
/// missing index costs time, never a wrong answer.
extension ImageStore {
    var nameIndexPath: String { directory + "/names.json" }

    func saveRecord(_ record: ImageRecord) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.write(Array(try encoder.encode(record)), to: recordPath(record.id))
        var index = nameIndex().filter { $0.value != record.id }
        for name in record.names { index[name] = record.id }
        try writeNameIndex(index)
    }

    /// Writes the record of image `id` with `names` added (`make` gives a new one when there
    /// is none; `update` changes an existing one too). A name belongs to one image: it is
    /// taken from whichever image had it.
    func saveRecord(id: String, names: [String], make: () -> ImageRecord,
                    update: (inout ImageRecord) -> Void = { _ in }) throws -> ImageRecord {
        try makeDirectories(directory + "/records")
        for var other in try list() where other.id != id && !Set(other.names).isDisjoint(with: names) {
            other.names.removeAll { names.contains($0) }
            try saveRecord(other)
        }
        var record = readRecord(id) ?? make()
        update(&record)
        record.names = Array(Set(record.names + names)).sorted()
        try saveRecord(record)
        return record
    }

    func deleteRecord(_ id: String) throws {
        unlink(recordPath(id))
        try writeNameIndex(nameIndex().filter { $0.value != id })
    }

    /// The record of an image id (`sha256:…`); nil when there is none.
    func readRecord(_ id: String) -> ImageRecord? {
        guard let bytes = (try? AtomicFile.read(recordPath(id))) ?? nil else { return nil }
        return try? JSONDecoder().decode(ImageRecord.self, from: Data(bytes))
    }

    /// The image the name index gives for `name` (normalized), checked against its record.
    func indexedRecord(named name: String) -> ImageRecord? {
        guard let id = nameIndex()[name], let record = readRecord(id), record.names.contains(name) else { return nil }
        return record
    }

    /// The index made afresh from every record. Without the store's lock: a concurrent
    /// change may make it stale again, which only costs a slow lookup.
    func rebuildNameIndex(from records: [ImageRecord]) {
        var index: [String: String] = [:]
        for record in records { for name in record.names { index[name] = record.id } }
        try? writeNameIndex(index)
    }

    private func nameIndex() -> [String: String] {
        guard let bytes = (try? AtomicFile.read(nameIndexPath)) ?? nil,
              let members = (try? JSONValue.parse(bytes))?.objectValue else { return [:] }
        var index: [String: String] = [:]
        for (name, id) in members { index[name] = id.stringValue }
        return index
    }

    private func writeNameIndex(_ index: [String: String]) throws {
        let document = JSONValue.object(index.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
        try AtomicFile.write(document.serialized, to: nameIndexPath, durable: false)
    }
}
