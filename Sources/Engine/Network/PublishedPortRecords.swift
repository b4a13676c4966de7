import Glibc
import NetworkServices
import SystemSupport

/// The ports the engine publishes, one file per container under `<run>/ports/`
/// (`<container-id>` on the first line, then one binding per line). Kernel rules hold no
/// socket, and a stopped container's monitor holds none either, so without these records
/// a second container could claim a port the first already publishes, and silently lose
/// to it, or take it away while the first is stopped.
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

    /// Refuses bindings that clash with another container's (named, even while it is
    /// stopped), then any a socket of this host holds (named by its process): a kernel rule
    /// would take that socket's local traffic away, and the monitor could not listen.
    func checkFree(_ bindings: [PortBinding], for containerID: String) throws(EngineError) {
        for (owner, theirs) in all() where owner != containerID {
            for binding in bindings {
                if let clash = theirs.first(where: { PublishedPortRecords.clash($0, binding) }) {
                    throw EngineError(.inUse, "\(binding.hostEndpoint) is already published by container \(owner) "
                        + "(\(clash)); remove it or publish another host port")
                }
            }
        }
        try PortProxy.checkAvailable(bindings)
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
        guard fields.count == 5, let hostIP = IPAddress(fields[0]), let hostPort = UInt16(fields[1]),
              let transport = PortBinding.Transport(rawValue: String(fields[2])),
              let containerIP = IPv4Address(fields[3]), let containerPort = UInt16(fields[4]) else { return nil }
        return PortBinding(hostIP: hostIP, hostPort: hostPort, transport: transport, containerIP: containerIP,
                           containerPort: containerPort)
    }

    /// Same port and protocol on overlapping host addresses (0.0.0.0 overlaps every IPv4
    /// one, :: every IPv6 one).
    static func clash(_ one: PortBinding, _ other: PortBinding) -> Bool {
        one.hostPort == other.hostPort && one.transport == other.transport && one.hostIP.overlaps(other.hostIP)
    }

    private func path(of containerID: String) -> String {
        directory + "/" + KernelPortForwarding.table(containerID)
    }
}
