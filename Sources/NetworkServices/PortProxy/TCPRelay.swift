import CNetworkSupport
import Glibc

/// One proxied TCP connection: client ⇄ container, each direction spliced through a kernel
/// pipe so the payload is never copied into this process. Half-closes are passed on, so a
/// client that shuts down its sending side still gets the whole reply.
final class TCPRelay {
    /// One direction of the relay.
    struct Direction {
        let from: Int32
        let to: Int32
        var pipe: [Int32] = [-1, -1]
        /// Bytes sitting in the pipe, read from `from` but not yet written to `to`.
        var pending = 0
        var endOfStream = false
        var shutDown = false

        /// Reads only when the pipe is empty, so EAGAIN always means "source not ready".
        var wantsInput: Bool { !endOfStream && pending == 0 }
    }

    static let pipeCapacity = 1024 * 1024

    unowned let loop: ProxyLoop
    let client: Int32
    let server: Int32
    private var upstream: Direction
    private var downstream: Direction
    private var connected = false
    private var finished = false

    init?(loop: ProxyLoop, client: Int32, target: PortBinding) {
        self.loop = loop
        self.client = client
        guard let server = try? Socket.open(Int32(SOCK_STREAM.rawValue), nonBlocking: true) else { return nil }
        self.server = server
        upstream = Direction(from: client, to: server)
        downstream = Direction(from: server, to: client)
        var one: Int32 = 1
        setsockopt(server, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        guard let upstreamPipe = loop.takePipe() else { Glibc.close(server); return nil }
        guard let downstreamPipe = loop.takePipe() else {
            loop.recyclePipe(upstreamPipe)
            Glibc.close(server)
            return nil
        }
        upstream.pipe = upstreamPipe
        downstream.pipe = downstreamPipe
        let started = Socket.connect(server, to: target.containerIP, target.containerPort)
        if started != 0 && errno != EINPROGRESS {
            // The caller closes the client; the pipes are still empty.
            Glibc.close(server)
            loop.recyclePipe(upstreamPipe)
            loop.recyclePipe(downstreamPipe)
            return nil
        }
    }

    func handle(_ events: UInt32, clientSide: Bool) {
        guard !finished else { return }
        if !connected {
            if clientSide {
                if events & EpollEvent.errorOrHangup != 0 { finish() }
                return
            }
            var failure: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(server, SOL_SOCKET, SO_ERROR, &failure, &length)
            guard failure == 0 else { return finish() }
            connected = true
        }
        // Edge-triggered: each side is drained until the kernel says EAGAIN, so the next
        // readiness change brings a new event and no interest ever needs changing.
        guard pump(&upstream), pump(&downstream) else { return finish() }
        if upstream.shutDown && downstream.shutDown { return finish() }
    }

    /// Moves what it can from one side to the other; false on a broken connection.
    private func pump(_ direction: inout Direction) -> Bool {
        while true {
            if direction.pending > 0 {
                let moved = swiftcompose_splice(direction.pipe[0], direction.to, UInt(direction.pending))
                if moved > 0 { direction.pending -= moved; continue }
                return moved < 0 && errno == EAGAIN
            }
            if direction.endOfStream {
                if !direction.shutDown {
                    shutdown(direction.to, Int32(SHUT_WR))
                    direction.shutDown = true
                }
                return true
            }
            let moved = swiftcompose_splice(direction.from, direction.pipe[1], UInt(TCPRelay.pipeCapacity))
            if moved > 0 {
                direction.pending = moved
            } else if moved == 0 {
                direction.endOfStream = true
            } else {
                return errno == EAGAIN
            }
        }
    }

    /// Ends the relay: sockets closed (which also takes them out of epoll), empty pipes
    /// kept for the next connection, the loop forgets it.
    func finish() {
        guard !finished else { return }
        finished = true
        loop.forget(client)
        loop.forget(server)
        closeDescriptors()
    }

    private func closeDescriptors() {
        Glibc.close(client)
        Glibc.close(server)
        for direction in [upstream, downstream] where direction.pipe[0] >= 0 {
            if direction.pending == 0 {
                loop.recyclePipe(direction.pipe)
            } else {
                direction.pipe.forEach { Glibc.close($0) }
            }
        }
    }
}
