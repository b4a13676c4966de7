import Foundation
import Glibc
import SystemSupport

/// Image records are written and deleted here only, so the name index beside them
/// (`images/names.json`, name → image id) follows every change. `resolve` reads the index and
/// one record instead of decoding every record; a hit is checked against the record it
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

    func deleteRecord(_ id: String) throws {
        unlink(recordPath(id))
        try writeNameIndex(nameIndex().filter { $0.value != id })
    }

    /// The record of an image id (`sha256:…`); nil when there is none.
    func readRecord(_ id: String) -> ImageRecord? {
        guard let bytes = (try? AtomicFile.read(recordPath(id))) ?? nil else { return nil }
        return try? JSONDecoder().decode(ImageRecord.self, from: Data(bytes))
    }

    /// The image a full id or an indexed name stands for, from one record; nil when only
    /// a look through every record can tell (short ids, names the index lacks).
    func quickResolve(_ reference: String) -> ImageRecord? {
        let bareID = reference.hasPrefix("sha256:") ? String(reference.dropFirst(7)) : reference
        if bareID.count >= 4, bareID.allSatisfy(\.isHexDigit) {
            // A short one may be an id prefix, which wins over a name (as in `resolve`).
            return bareID.count == 64 ? readRecord("sha256:" + bareID) : nil
        }
        let name = (try? ImageReference(parsing: reference))?.description ?? reference
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
