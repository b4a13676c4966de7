import Foundation
import Glibc
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
            try mountIfNeeded(record)
            try AtomicFile.write(Array(try JSONEncoder().encode(record)), to: recordPath(name))
        } catch {
            if !Self.isMountPoint(record.mountpoint) { try? FileManager.default.removeItem(atPath: directory + "/" + name) }
            throw EngineError(.system, "cannot create volume \(name): \(error)")
        }
        return record
    }

    /// The local driver's options mount the volume's directory, as Docker's do: `type`
    /// (a filesystem such as tmpfs, or none), `device` and `o` (mount options; `bind`
    /// binds `device`). Done at creation and again whenever a reboot took the mount away.
    public func mountIfNeeded(_ record: Record) throws(EngineError) {
        guard let type = record.options["type"] ?? (record.options["device"] != nil ? "none" : nil) else { return }
        guard !Self.isMountPoint(record.mountpoint) else { return }
        var options = (record.options["o"] ?? "").split(separator: ",").map(String.init)
        var flags: UInt = 0
        if options.contains("bind") || options.contains("rbind") {
            flags |= UInt(MS_BIND) | (options.contains("rbind") ? UInt(MS_REC) : 0)
            options.removeAll { $0 == "bind" || $0 == "rbind" }
        }
        let device = record.options["device"] ?? type
        if flags & UInt(MS_BIND) != 0, !FileManager.default.fileExists(atPath: device) {
            throw EngineError(.notFound, "volume \(record.name): the device \(device) to bind does not exist")
        }
        let status = options.joined(separator: ",").withCString { data in
            mount(device, record.mountpoint, type == "none" ? nil : type, flags, flags & UInt(MS_BIND) != 0 ? nil : data)
        }
        guard status == 0 else {
            throw EngineError(.system, "volume \(record.name): cannot mount \(device) (type \(type), options \(record.options["o"] ?? "")",
                              cause: SystemCallError("mount", record.mountpoint))
        }
    }

    static func isMountPoint(_ path: String) -> Bool {
        // Read to the end: Foundation's file reading stops short on a large procfs file (a
        // host with hundreds of mounts), which hid a volume's mount from `down -v`.
        guard let bytes = (try? AtomicFile.read("/proc/self/mountinfo")) ?? nil else { return false }
        let text = String(decoding: bytes, as: UTF8.self)
        return text.split(separator: "\n").contains { $0.split(separator: " ").dropFirst(4).first.map(String.init) == path }
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
        // A bound device is the user's data: unmount it, and never delete through a mount.
        let mountpoint = directory + "/" + name + "/_data"
        while Self.isMountPoint(mountpoint) {
            guard umount2(mountpoint, 0) == 0 || umount2(mountpoint, Int32(MNT_DETACH)) == 0 else {
                throw EngineError(.system, "cannot unmount volume \(name)", cause: SystemCallError("umount", mountpoint))
            }
        }
        do { try FileManager.default.removeItem(atPath: directory + "/" + name) } catch {
            throw EngineError(.system, "cannot remove volume \(name): \(error)")
        }
    }
}
