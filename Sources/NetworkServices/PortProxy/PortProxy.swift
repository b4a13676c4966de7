import CNetworkSupport
import Glibc
import SystemSupport

/// Serves published ports in the calling process: one event-loop thread for all of them,
/// however many ports and connections (a range of 100 ports is 100 sockets, not 100
/// processes). TCP is relayed with splice (zero-copy through a kernel pipe), UDP with one
/// flow per client address that is dropped after `udpIdleTimeout` seconds of silence.
///
/// Every port is bound in `init`, before anything serves: when one is taken, all are
/// released again and the error names the holder ("127.0.0.1:8080/tcp is already in use
/// by pid 4242 (nginx)"). `start` begins serving on a thread of its own; `stop` closes
/// everything and returns once that thread has ended. A single-threaded host (the
/// container monitor) serves instead from its own poll loop: it polls `descriptor` and
/// calls `serviceEvents()` when it is readable, and at least every `sweepInterval`
/// seconds while UDP flows are open.
public final class PortProxy: @unchecked Sendable {
    /// The bindings as bound: random host ports (0) replaced by the chosen ones.
    public let bindings: [PortBinding]
    private let loop: ProxyLoop
    private var thread: pthread_t?

    /// `owner` names the holder of a taken port when the caller knows it better than a pid
    /// (the engine maps a container monitor's pid to "container web-1 of project shop").
    public init(bindings requested: [PortBinding], udpIdleTimeout: Int = 90,
                owner: (PortHolder) -> String? = { _ in nil }) throws(EngineError) {
        var listeners: [(fd: Int32, binding: PortBinding)] = []
        for binding in requested {
            do {
                let type = binding.transport == .tcp ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue)
                let fd = try Socket.bound(type, binding.hostIP, binding.hostPort, nonBlocking: true)
                var bound = binding
                bound.hostPort = Socket.localPort(fd)
                listeners.append((fd, bound))
            } catch {
                for listener in listeners { close(listener.fd) }
                throw PortProxy.bindError(binding, error, owner: owner)
            }
        }
        bindings = listeners.map(\.binding)
        do {
            loop = try ProxyLoop(listeners: listeners, udpIdleTimeout: udpIdleTimeout)
        } catch {
            for listener in listeners { close(listener.fd) }
            throw EngineError(.system, "cannot start the port proxy", cause: error)
        }
    }

    /// Checks that every binding could be bound now, without keeping any; for callers that
    /// must refuse a conflict before they create anything else.
    public static func checkAvailable(_ bindings: [PortBinding],
                                      owner: (PortHolder) -> String? = { _ in nil }) throws(EngineError) {
        _ = try PortProxy(bindings: bindings.filter { $0.hostPort != 0 }, owner: owner)
    }

    /// UDP clients currently holding a flow.
    public var activeUDPFlows: Int { loop.flowGauge.load(ordering: .relaxed) }

    /// Readable whenever the proxy has work (an epoll descriptor).
    public var descriptor: Int32 { loop.epoll }

    /// How often, in seconds, a host loop calls `serviceEvents` while UDP flows are open,
    /// so idle ones are dropped.
    public static let sweepInterval = 1

    /// Handles what is ready without waiting: for hosts that run their own poll loop
    /// instead of calling `start`.
    public func serviceEvents() {
        _ = loop.serviceEvents(waitingUpTo: 0)
    }

    public func start() {
        guard thread == nil else { return }
        var created = pthread_t()
        let result = pthread_create(&created, nil, { raw in
            Unmanaged<ProxyLoop>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, Unmanaged.passRetained(loop).toOpaque())
        precondition(result == 0, "pthread_create failed: \(result)")
        thread = created
    }

    /// Stops serving, closes every socket and connection; idempotent.
    public func stop() {
        loop.requestStop()
        if let thread {
            pthread_join(thread, nil)
            self.thread = nil
        } else {
            loop.closeAll()
        }
    }

    deinit { stop() }

    static func bindError(_ binding: PortBinding, _ error: SystemCallError,
                          owner: (PortHolder) -> String?) -> EngineError {
        let place = binding.hostEndpoint
        switch error.errno {
        case EADDRINUSE:
            if let holder = PortHolder.find(port: binding.hostPort, transport: binding.transport) {
                return EngineError(.inUse, "\(place) is already in use by \(owner(holder) ?? holder.description); "
                    + "stop it or publish another host port")
            }
            return EngineError(.inUse, "\(place) is already in use; stop whatever holds it or publish another host port")
        case EADDRNOTAVAIL:
            return EngineError(.invalidArgument, "\(place): \(binding.hostIP) is not an address of this host")
        case EAFNOSUPPORT:
            return EngineError(.invalidArgument, "\(place): IPv6 is disabled on this host; publish on an IPv4 address")
        case EACCES:
            return EngineError(.system, "\(place): ports below 1024 need root (or CAP_NET_BIND_SERVICE)")
        default:
            return EngineError(.system, "cannot listen on \(place)", cause: error)
        }
    }
}
