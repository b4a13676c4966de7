import Glibc

/// One UDP client of a published port: its datagrams go to the container from a socket of
/// its own, so the container's replies find their way back to that client.
final class UDPFlow {
    let fd: Int32
    let listener: Int32
    let peer: SocketAddress
    let key: PeerKey
    var lastActive: time_t

    init?(listener: Int32, peer: SocketAddress, key: PeerKey, target: PortBinding) {
        guard let fd = try? Socket.open(Int32(SOCK_DGRAM.rawValue), nonBlocking: true) else { return nil }
        guard Socket.connect(fd, to: target.containerIP, target.containerPort) == 0 else {
            Glibc.close(fd)
            return nil
        }
        self.fd = fd
        self.listener = listener
        self.peer = peer
        self.key = key
        lastActive = time(nil)
    }

    /// Passes the container's replies back to the client.
    func relayReplies() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 { return }
            lastActive = time(nil)
            _ = buffer.withUnsafeBytes { Socket.sendTo(listener, UnsafeRawBufferPointer(rebasing: $0[0..<count]), peer) }
        }
    }

    func close() { Glibc.close(fd) }
}

extension ProxyLoop {
    /// Reads the datagrams waiting on a UDP listener and sends each on its client's flow.
    func receiveDatagrams(on index: Int) {
        let listener = listeners[index]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let (count, peer) = buffer.withUnsafeMutableBytes { Socket.receiveFrom(listener.fd, $0) }
            if count < 0 { return }
            let key = PeerKey(peer)
            var flow = flows[index]?[key]
            if flow == nil, let created = UDPFlow(listener: listener.fd, peer: peer, key: key, target: listener.binding) {
                flows[index, default: [:]][key] = created
                watch(created.fd, events: EpollEvent.input, as: .flow(created))
                flowGauge.add(1, ordering: .relaxed)
                flow = created
            }
            guard let flow else { continue }
            flow.lastActive = time(nil)
            _ = buffer.withUnsafeBytes { send(flow.fd, $0.baseAddress, count, Int32(MSG_NOSIGNAL)) }
        }
    }

    /// Drops flows that have been silent for `udpIdleTimeout` seconds.
    func expireIdleFlows(now: time_t) {
        for (index, table) in flows {
            for (key, flow) in table where now - flow.lastActive >= udpIdleTimeout {
                unwatch(flow.fd)
                flow.close()
                flows[index]?[key] = nil
                flowGauge.subtract(1, ordering: .relaxed)
            }
        }
    }
}
