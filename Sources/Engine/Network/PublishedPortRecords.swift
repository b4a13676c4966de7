import Glibc
import NetworkServices
import SystemSupport

/// The ports the engine forwards through the kernel, one file per container under
/// `<run>/ports/` (`<container-id>` on the first line, then one binding per line). Kernel
/// rules hold no socket, so without these records a second container could claim a port
/// the first already forwards, and silently lose to it.
struct PublishedPortRecords {
    let directory: String

    init(state: StateRoot) {
        directory = state.runPath("ports")
    }

    func locked<T>(_ body: () throws(EngineError) -> T) throws(EngineError) -> T {
        let lock: FileLock
        do {
            try makeDirectories(directory, mode: 0o755)
            lock = try FileLock(exclusive: directory + "/.lock")
        } catch {
            throw EngineError(.system, "cannot lock the published port records in \(directory)", cause: error)
        }
        defer { withExtendedLifetime(lock) {} }
        return try body()
    }

    /// Refuses bindings that clash with another container's, or with a socket already
    /// listening on the port (the kernel rule would take its local traffic away).
    func checkFree(_ bindings: [PortBinding], for containerID: String) throws(EngineError) {
        for (owner, theirs) in all() where owner != containerID {
            for binding in bindings {
                if let clash = theirs.first(where: { PublishedPortRecords.clash($0, binding) }) {
                    throw EngineError(.inUse, "\(place(binding)) is already published by container \(owner) "
                        + "(\(clash)); stop it or publish another host port")
                }
            }
        }
        for binding in bindings {
            if let holder = PortHolder.find(port: binding.hostPort, transport: binding.transport) {
                throw EngineError(.inUse, "\(place(binding)) is already in use by \(holder); stop it or publish another host port")
            }
        }
    }

    func save(_ bindings: [PortBinding], for containerID: String) throws(EngineError) {
        let lines = bindings.map {
            "\($0.hostIP) \($0.hostPort) \($0.transport.rawValue) \($0.containerIP) \($0.containerPort)"
        }
        do {
            try AtomicFile.write(([containerID] + lines).joined(separator: "\n") + "\n", to: path(of: containerID))
        } catch {
            throw EngineError(.system, "cannot record the published ports of container \(containerID)", cause: error)
        }
    }

    func delete(for containerID: String) {
        unlink(path(of: containerID))
    }

    /// Every container's forwarded bindings.
    func all() -> [(String, [PortBinding])] {
        guard let handle = opendir(directory) else { return [] }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if !name.hasPrefix(".") { names.append(name) }
        }
        closedir(handle)
        return names.sorted().compactMap { name in
            guard let bytes = (try? AtomicFile.read(directory + "/" + name)).flatMap({ $0 }) else { return nil }
            let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
            guard let owner = lines.first else { return nil }
            return (String(owner), lines.dropFirst().compactMap(PublishedPortRecords.parse))
        }
    }

    static func parse(_ line: Substring) -> PortBinding? {
        let fields = line.split(separator: " ")
        guard fields.count == 5, let hostIP = IPv4Address(fields[0]), let hostPort = UInt16(fields[1]),
              let transport = PortBinding.Transport(rawValue: String(fields[2])),
              let containerIP = IPv4Address(fields[3]), let containerPort = UInt16(fields[4]) else { return nil }
        return PortBinding(hostIP: hostIP, hostPort: hostPort, transport: transport, containerIP: containerIP,
                           containerPort: containerPort)
    }

    /// Same port and protocol on overlapping host addresses (0.0.0.0 overlaps every one).
    static func clash(_ one: PortBinding, _ other: PortBinding) -> Bool {
        one.hostPort == other.hostPort && one.transport == other.transport
            && (one.hostIP.value == 0 || other.hostIP.value == 0 || one.hostIP == other.hostIP)
    }

    private func place(_ binding: PortBinding) -> String {
        "\(binding.hostIP):\(binding.hostPort)/\(binding.transport.rawValue)"
    }

    private func path(of containerID: String) -> String {
        directory + "/" + KernelPortForwarding.table(containerID)
    }
}
