import Foundation
import SystemSupport

/// Named volumes of the `local` driver: a directory per volume under the state root
/// (`volumes/<name>/_data`, as Docker keeps them) and a record with its labels.
public struct VolumeStore: Sendable {
    public struct Record: Codable, Sendable, Equatable {
        public var name: String
        public var driver: String
        public var labels: [String: String]
        public var options: [String: String]
        public var created: Date
        public var mountpoint: String
    }

    public let state: StateRoot

    public init(state: StateRoot) {
        self.state = state
    }

    var directory: String { state.path("volumes") }

    private func recordPath(_ name: String) -> String { directory + "/" + name + "/volume.json" }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.first, first.isLetter || first.isNumber, name.count <= 255 else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
    }

    /// Creates the volume, or returns it when it exists (as `docker volume create` does).
    @discardableResult
    public func create(_ name: String, labels: [String: String] = [:], options: [String: String] = [:]) throws(EngineError) -> Record {
        guard Self.isValidName(name) else {
            throw EngineError(.invalidArgument, "invalid volume name \"\(name)\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
        }
        if let existing = try? inspect(name) { return existing }
        let record = Record(name: name, driver: "local", labels: labels, options: options, created: Date(),
                            mountpoint: directory + "/" + name + "/_data")
        do {
            try makeDirectories(record.mountpoint)
            try AtomicFile.write(Array(try JSONEncoder().encode(record)), to: recordPath(name))
        } catch {
            throw EngineError(.system, "cannot create volume \(name): \(error)")
        }
        return record
    }

    public func inspect(_ name: String) throws(EngineError) -> Record {
        guard Self.isValidName(name), let data = FileManager.default.contents(atPath: recordPath(name)),
              let record = try? JSONDecoder().decode(Record.self, from: data) else {
            throw EngineError(.notFound, "no such volume: \(name)")
        }
        return record
    }

    public func list() -> [Record] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.sorted().compactMap { try? inspect($0) }
    }

    /// Removes the volume and its data; refused while `inUse`.
    public func remove(_ name: String, inUse: Bool = false) throws(EngineError) {
        _ = try inspect(name)
        if inUse { throw EngineError(.inUse, "volume \(name) is in use by a container; remove the container first") }
        do { try FileManager.default.removeItem(atPath: directory + "/" + name) } catch {
            throw EngineError(.system, "cannot remove volume \(name): \(error)")
        }
    }
}
