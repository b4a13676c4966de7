import ComposeModel
import NetworkServices
import SystemSupport

/// A service's `ports:` as the bindings its container publishes, Docker's way:
/// - no `host_ip`: every IPv4 address and, when the host has IPv6, every IPv6 one
///   (`0.0.0.0:8080` and `[::]:8080`), on the same host port;
/// - no host port: a free one; a host range for one container port: its first free port.
/// A fixed host port is taken as written: `NetworkManager.publish` refuses it when another
/// container publishes it or a process holds it, naming either.
enum PublishedPorts {
    static func bindings(of service: Service, containerIP: IPv4Address,
                         hostHasIPv6: Bool = PublishedPorts.hostHasIPv6()) throws -> [PortBinding] {
        var result: [PortBinding] = []
        for port in service.ports {
            let label = "service \"\(service.name)\": port \(port.target)/\(port.protocol)"
            guard let transport = PortBinding.Transport(rawValue: port.protocol) else {
                throw OrchestratorError("\(label) cannot be published: only tcp and udp ports can")
            }
            let hostIPs: [IPAddress]
            if let text = port.hostIP {
                guard let address = IPAddress(text) else {
                    throw OrchestratorError("\(label): host_ip \"\(text)\" is not an IPv4 or IPv6 address")
                }
                hostIPs = [address]
            } else {
                hostIPs = hostHasIPv6 ? [.anyIPv4, .anyIPv6] : [.anyIPv4]
            }
            let hostPort = try self.hostPort(port, hostIPs: hostIPs, transport: transport, label: label)
            result += hostIPs.map {
                PortBinding(hostIP: $0, hostPort: hostPort, transport: transport, containerIP: containerIP,
                            containerPort: UInt16(clamping: port.target))
            }
        }
        return result
    }

    /// Whether the host has IPv6 at all (not disabled by sysctl or at boot).
    static func hostHasIPv6() -> Bool {
        guard let bytes = (try? AtomicFile.read("/proc/sys/net/ipv6/conf/all/disable_ipv6")).flatMap({ $0 }) else { return false }
        return bytes.first == UInt8(ascii: "0")
    }

    /// The host port for every address of `hostIPs`.
    private static func hostPort(_ port: PortConfig, hostIPs: [IPAddress], transport: PortBinding.Transport,
                                 label: String) throws -> UInt16 {
        let isFree = { (candidate: UInt16) -> Bool in
            let probes = hostIPs.map { PortBinding(hostIP: $0, hostPort: candidate, transport: transport,
                                                   containerIP: IPv4Address(0), containerPort: 0) }
            return (try? PortProxy.checkAvailable(probes)) != nil
        }
        guard let published = port.published else {
            // The kernel picks a free port on the first address; the others must have it free too.
            for _ in 0..<32 {
                let probe = PortBinding(hostIP: hostIPs[0], hostPort: 0, transport: transport,
                                        containerIP: IPv4Address(0), containerPort: 0)
                guard let chosen = (try? PortProxy(bindings: [probe]))?.bindings[0].hostPort else { break }
                if isFree(chosen) { return chosen }
            }
            throw OrchestratorError("\(label): no free host port found on \(hostIPs.map(\.hostText).joined(separator: " and "))")
        }
        let bounds = published.split(separator: "-").map { UInt16($0) }
        guard (1...2).contains(bounds.count), let low = bounds[0], let high = bounds[bounds.count - 1], low <= high else {
            throw OrchestratorError("\(label): invalid published port \"\(published)\"")
        }
        if low == high { return low }
        if let free = (low...high).first(where: isFree) { return free }
        throw OrchestratorError("\(label): every host port of \(published) is already in use; free one or publish another range")
    }
}
