import CNetworkSupport
import Glibc
import Synchronization
import SystemSupport

/// The port proxy's event loop (epoll, level-triggered). All state below is touched only
/// by the loop thread, except the stop flag and the wake pipe.
final class ProxyLoop: @unchecked Sendable {
    enum Source {
        case listener(Int)
        case connection(TCPRelay, clientSide: Bool)
        case flow(UDPFlow)
        case wake
    }

    let epoll: Int32
    let wake: [Int32]
    let listeners: [(fd: Int32, binding: PortBinding)]
    let udpIdleTimeout: Int
    private let stopping = Atomic<Bool>(false)
    /// Live UDP flows, readable from any thread.
    let flowGauge = Atomic<Int>(0)
    private var sources: [Int32: Source] = [:]
    var flows: [Int: [PeerKey: UDPFlow]] = [:]
    /// Empty pipes of finished relays: creating and sizing a pipe per connection costs
    /// more than the rest of a short connection's setup.
    private var sparePipes: [[Int32]] = []
    private var closed = false
    private var readyDescriptors = [Int32](repeating: 0, count: 256)
    private var readyEvents = [UInt32](repeating: 0, count: 256)
    private var lastSweep = time(nil)

    init(listeners: [(fd: Int32, binding: PortBinding)], udpIdleTimeout: Int) throws(SystemCallError) {
        self.listeners = listeners
        self.udpIdleTimeout = udpIdleTimeout
        epoll = try Syscall.retrying("epoll_create1") { swiftcompose_epoll_create() }
        var pipe: [Int32] = [0, 0]
        if swiftcompose_pipe(&pipe) != 0 {
            let error = SystemCallError("pipe2")
            close(epoll)
            throw error
        }
        wake = pipe
        watch(wake[0], events: EpollEvent.input, as: .wake)
        for (index, listener) in listeners.enumerated() {
            watch(listener.fd, events: EpollEvent.input, as: .listener(index))
        }
    }

    func requestStop() {
        stopping.store(true, ordering: .relaxed)
        var byte: UInt8 = 1
        _ = write(wake[1], &byte, 1)
    }

    func run() {
        swiftcompose_name_thread("portproxy")
        while !stopping.load(ordering: .relaxed) {
            if !serviceEvents(waitingUpTo: 1000) { break }
        }
        closeAll()
    }

    /// Handles whatever is ready, waiting at most `milliseconds` for it (0: not at all), and
    /// drops idle UDP flows once a second; false when the epoll descriptor failed.
    func serviceEvents(waitingUpTo milliseconds: Int32) -> Bool {
        let count = swiftcompose_epoll_wait(epoll, &readyDescriptors, &readyEvents, Int32(readyDescriptors.count), milliseconds)
        if count < 0 && errno != EINTR { return false }
        for slot in 0..<max(0, Int(count)) {
            guard let source = sources[readyDescriptors[slot]] else { continue }
            switch source {
            case .wake: break
            case .listener(let index): accept(on: index)
            case .connection(let relay, let clientSide): relay.handle(readyEvents[slot], clientSide: clientSide)
            case .flow(let flow): flow.relayReplies()
            }
        }
        let now = time(nil)
        if now != lastSweep {
            lastSweep = now
            expireIdleFlows(now: now)
        }
        return true
    }

    /// Closes listeners, connections and flows; safe to call once the loop has ended.
    func closeAll() {
        guard !closed else { return }
        closed = true
        for source in sources.values {
            switch source {
            case .connection(let relay, true): relay.finish()
            case .flow(let flow): flow.close()
            default: break
            }
        }
        sources.removeAll()
        flows.removeAll()
        for pipe in sparePipes { pipe.forEach { Glibc.close($0) } }
        sparePipes.removeAll()
        for listener in listeners { Glibc.close(listener.fd) }
        Glibc.close(wake[0])
        Glibc.close(wake[1])
        Glibc.close(epoll)
    }

    // MARK: registration

    func watch(_ fd: Int32, events: UInt32, as source: Source) {
        swiftcompose_epoll_control(epoll, Int32(swiftcompose_epoll_add), fd, events)
        sources[fd] = source
    }

    /// Drops the bookkeeping of an fd about to be closed (closing removes it from epoll).
    func forget(_ fd: Int32) {
        sources[fd] = nil
    }

    func takePipe() -> [Int32]? {
        if let pipe = sparePipes.popLast() { return pipe }
        var pipe: [Int32] = [-1, -1]
        guard swiftcompose_pipe(&pipe) == 0 else { return nil }
        _ = swiftcompose_set_pipe_size(pipe[1], Int32(TCPRelay.pipeCapacity))
        return pipe
    }

    func recyclePipe(_ pipe: [Int32]) {
        if sparePipes.count < 64 && !closed {
            sparePipes.append(pipe)
        } else {
            pipe.forEach { Glibc.close($0) }
        }
    }

    func unwatch(_ fd: Int32) {
        swiftcompose_epoll_control(epoll, Int32(swiftcompose_epoll_delete), fd, 0)
        sources[fd] = nil
    }

    // MARK: accepting

    private func accept(on index: Int) {
        let listener = listeners[index]
        if listener.binding.transport == .udp {
            receiveDatagrams(on: index)
            return
        }
        // Take every pending connection: short connections arrive in bursts.
        for _ in 0..<64 {
            let client = swiftcompose_accept(listener.fd, 1)
            if client < 0 { return }
            guard let relay = TCPRelay(loop: self, client: client, target: listener.binding) else {
                Glibc.close(client)
                continue
            }
            watch(client, events: EpollEvent.edgeTriggeredStream, as: .connection(relay, clientSide: true))
            watch(relay.server, events: EpollEvent.edgeTriggeredStream, as: .connection(relay, clientSide: false))
        }
    }
}

enum EpollEvent {
    static let input = UInt32(swiftcompose_epoll_in)
    static let output = UInt32(swiftcompose_epoll_out)
    static let errorOrHangup = UInt32(swiftcompose_epoll_error | swiftcompose_epoll_hangup)
    /// Readable, writable and peer-closed, reported on change only (EPOLLET).
    static let edgeTriggeredStream = UInt32(swiftcompose_epoll_in | swiftcompose_epoll_out | swiftcompose_epoll_read_hangup)
        | UInt32(swiftcompose_epoll_edge)
}
