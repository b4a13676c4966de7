import CRuntime
import Glibc
import SystemSupport

/// The name index, `<root>/containers/names/<name>`: a symlink to the id of the container
/// of that name. Names are claimed (create, rename) and found (resolve) with one readlink
/// instead of reading every record, which made creating the N-th container cost N record
/// reads. An entry whose record is gone or carries another name is stale and counts as
/// free, so a crash between the index and the record loses nothing.
extension ContainerStore {
    var namesDirectory: String { ContainerPaths.containersDirectory(state) + "/names" }

    func nameEntry(_ name: String) -> String { namesDirectory + "/" + name }

    /// The container named `name`, if any.
    func holder(ofName name: String) -> ContainerRecord? {
        guard let id = indexedID(name), let record = try? read(id: id), record.name == name else { return nil }
        return record
    }

    /// Points `name` at `id`, replacing a stale entry. Call under `locked`, once
    /// `holder(ofName:)` has found it free.
    func claim(name: String, for id: String) throws(EngineError) {
        let entry = nameEntry(name)
        unlink(entry)
        guard symlink(id, entry) == 0 else {
            throw EngineError(.system, "cannot record the name of container \(name)", cause: SystemCallError("symlink", entry))
        }
    }

    /// Drops `name`'s entry if it is `id`'s.
    func release(name: String, of id: String) {
        if indexedID(name) == id { unlink(nameEntry(name)) }
    }

    /// Builds the index from the records once, for a state root from before it existed.
    /// Call under `locked`.
    func indexNames() throws(EngineError) {
        guard access(namesDirectory, F_OK) != 0 else { return }
        let building = namesDirectory + ".building"
        _ = cr_remove_tree(building)  // a leftover of an interrupted build
        do { try makeDirectories(building, mode: 0o700) } catch {
            throw EngineError(.system, "cannot index the container names", cause: error)
        }
        for record in all() { symlink(record.id, building + "/" + record.name) }
        guard rename(building, namesDirectory) == 0 else {
            throw EngineError(.system, "cannot index the container names", cause: SystemCallError("rename", building))
        }
    }

    private func indexedID(_ name: String) -> String? {
        var buffer = [UInt8](repeating: 0, count: 80)
        let count = buffer.withUnsafeMutableBufferPointer { pointer in
            pointer.withMemoryRebound(to: CChar.self) { readlink(nameEntry(name), $0.baseAddress!, $0.count) }
        }
        guard count == 64 else { return nil }
        let id = String(decoding: buffer[0..<count], as: UTF8.self)
        return Self.isID(id) ? id : nil
    }
}
