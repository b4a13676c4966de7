import Foundation
import NetworkServices
import Synchronization
import SystemSupport
import Testing
@testable import Engine

/// A TCP server on 127.0.0.1 that echoes each connection until the client half-closes.
final class EchoServer: @unchecked Sendable {
    let fd: Int32
    let port: UInt16
    private let udp: Bool

    init(udp: Bool = false) throws {
        self.udp = udp
        let fd = socket(AF_INET, udp ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue), 0)
        var address = loopback(0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw SystemCallError("bind") }
        if !udp { listen(fd, 128) }
        self.fd = fd
        port = boundPort(fd)
        let thread = Thread { [self] in udp ? echoDatagrams() : acceptLoop() }
        thread.start()
    }

    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    private func acceptLoop() {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 { return }
            Thread {
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let count = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
                    if count <= 0 { break }
                    _ = buffer.withUnsafeBytes { send(client, $0.baseAddress, count, Int32(MSG_NOSIGNAL)) }
                }
                close(client)
            }.start()
        }
    }

    private func echoDatagrams() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            var peer = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let count = withUnsafeMutablePointer(to: &peer) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                    buffer.withUnsafeMutableBytes { recvfrom(fd, $0.baseAddress, $0.count, 0, address, &length) }
                }
            }
            if count <= 0 { return }
            _ = withUnsafePointer(to: &peer) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                    buffer.withUnsafeBytes { sendto(fd, $0.baseAddress, count, 0, address, length) }
                }
            }
        }
    }
}

func loopback(_ port: UInt16) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = IPv4Address(127, 0, 0, 1).value.bigEndian
    return address
}

func boundPort(_ fd: Int32) -> UInt16 {
    var address = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return UInt16(bigEndian: address.sin_port)
}

/// A connected or bound socket's address on the loopback of either family.
func withLoopback<T>(_ port: UInt16, ipv6: Bool, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
    if !ipv6 {
        var address = loopback(port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
    var address = sockaddr_in6()
    address.sin6_family = sa_family_t(AF_INET6)
    address.sin6_port = port.bigEndian
    withUnsafeMutableBytes(of: &address.sin6_addr) { $0[15] = 1 }
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
    }
}

/// Connects to 127.0.0.1:port (or [::1]:port), sends `payload`, half-closes, and returns
/// all it gets back.
func tcpRoundTrip(port: UInt16, payload: [UInt8], ipv6: Bool = false) -> [UInt8]? {
    let fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    guard withLoopback(port, ipv6: ipv6, { connect(fd, $0, $1) }) == 0 else { return nil }
    let writer = Thread {
        var offset = 0
        while offset < payload.count {
            let sent = payload.withUnsafeBytes { send(fd, $0.baseAddress! + offset, min(65536, $0.count - offset), Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { break }
            offset += sent
        }
        shutdown(fd, Int32(SHUT_WR))
    }
    writer.start()
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count <= 0 { break }
        received += buffer[0..<count]
    }
    return received
}

/// Sends a datagram from a fresh socket to 127.0.0.1:port (or [::1]:port) and returns the reply.
func udpRoundTrip(port: UInt16, payload: [UInt8], ipv6: Bool = false) -> [UInt8]? {
    let fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    defer { close(fd) }
    var timeout = timeval(tv_sec: 3, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    _ = withLoopback(port, ipv6: ipv6) { connect(fd, $0, $1) }
    _ = payload.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    var buffer = [UInt8](repeating: 0, count: 65536)
    let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
    return count >= 0 ? Array(buffer[0..<count]) : nil
}

/// Threads of this process running a port proxy loop.
func proxyThreadCount() -> Int {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    return tasks.filter { task in
        (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)) == "portproxy\n"
    }.count
}

/// Serialized: one test counts the proxy threads of the process.
@Suite(.serialized) struct NetworkPortProxyTests {
    let local = IPv4Address(127, 0, 0, 1)

    @Test(.timeLimit(.minutes(1))) func relaysTCPWholeAndHalfClosed() throws {
        let echo = try EchoServer()
        defer { echo.stop() }
        let proxy = try PortProxy(bindings: [PortBinding(hostIP: .v4(local), hostPort: 0, containerIP: local, containerPort: echo.port)])
        proxy.start()
        defer { proxy.stop() }
        let port = proxy.bindings[0].hostPort
        #expect(port != 0)
        let payload = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(tcpRoundTrip(port: port, payload: payload) == payload)
        // Many short connections one after another, as a load balancer's health checks make.
        for round in 0..<200 {
            let small = Array("ping \(round)".utf8)
            #expect(tcpRoundTrip(port: port, payload: small) == small)
        }
    }

    @Test(.timeLimit(.minutes(1))) func relaysUDPPerClientAndForgetsIdleClients() throws {
        let echo = try EchoServer(udp: true)
        defer { echo.stop() }
        let proxy = try PortProxy(bindings: [PortBinding(hostIP: .v4(local), hostPort: 0, transport: .udp,
                                                         containerIP: local, containerPort: echo.port)],
                                  udpIdleTimeout: 1)
        proxy.start()
        defer { proxy.stop() }
        let port = proxy.bindings[0].hostPort
        #expect(udpRoundTrip(port: port, payload: Array("one".utf8)) == Array("one".utf8))
        #expect(udpRoundTrip(port: port, payload: Array("two".utf8)) == Array("two".utf8))
        #expect(proxy.activeUDPFlows == 2)
        var waited = 0
        while proxy.activeUDPFlows > 0 && waited < 50 {
            usleep(100_000)
            waited += 1
        }
        #expect(proxy.activeUDPFlows == 0, "idle UDP flows were not dropped")
    }

    /// The container monitor's way: no thread of the proxy's own, its descriptor polled by
    /// the host's loop. IPv6 listeners relay to an IPv4 server, and leave IPv4 alone.
    @Test(.timeLimit(.minutes(1))) func servesIPv6ListenersFromTheHostsOwnPollLoop() throws {
        let tcpEcho = try EchoServer()
        let udpEcho = try EchoServer(udp: true)
        defer { tcpEcho.stop(); udpEcho.stop() }
        let loopback6 = IPAddress.v6(IPv6Address(1))
        let proxy = try PortProxy(bindings: [
            PortBinding(hostIP: loopback6, hostPort: 0, containerIP: local, containerPort: tcpEcho.port),
            PortBinding(hostIP: loopback6, hostPort: 0, transport: .udp, containerIP: local, containerPort: udpEcho.port),
        ], udpIdleTimeout: 1)
        let stopLoop = Atomic<Bool>(false)
        let loopEnded = DispatchSemaphore(value: 0)
        Thread {
            while !stopLoop.load(ordering: .relaxed) {
                var entry = pollfd(fd: proxy.descriptor, events: Int16(POLLIN), revents: 0)
                _ = poll(&entry, 1, 200)
                proxy.serviceEvents()
            }
            loopEnded.signal()
        }.start()
        let (tcpPort, udpPort) = (proxy.bindings[0].hostPort, proxy.bindings[1].hostPort)
        #expect(tcpPort != 0 && udpPort != 0)
        let payload = (0..<2_000_000).map { UInt8(truncatingIfNeeded: $0 &* 17) }
        #expect(tcpRoundTrip(port: tcpPort, payload: payload, ipv6: true) == payload)
        #expect(udpRoundTrip(port: udpPort, payload: Array("six".utf8), ipv6: true) == Array("six".utf8))
        #expect(proxy.activeUDPFlows == 1)
        for _ in 0..<50 where proxy.activeUDPFlows > 0 { usleep(100_000) }
        #expect(proxy.activeUDPFlows == 0, "the host loop's calls did not drop the idle UDP flow")
        // IPv6-only: the same port number is still free on IPv4.
        #expect((try? PortProxy.checkAvailable([PortBinding(hostIP: .v4(local), hostPort: tcpPort, containerIP: local,
                                                            containerPort: 1)])) != nil)
        stopLoop.store(true, ordering: .relaxed)
        loopEnded.wait()
        proxy.stop()
        #expect(tcpRoundTrip(port: tcpPort, payload: Array("gone".utf8), ipv6: true) == nil)
    }

    @Test func aTakenPortIsRefusedNamingItsHolderAndNothingStaysBound() throws {
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(holder) }
        var address = loopback(0)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        listen(holder, 1)
        let taken = boundPort(holder)
        var freePort: UInt16 = 0
        // The free port comes from below the ephemeral range, where the client sockets of
        // tests running alongside cannot take it between our binds.
        for _ in 0..<20 {
            freePort = UInt16.random(in: 20000...29000)
            do {
                _ = try PortProxy(bindings: [PortBinding(hostIP: .v4(local), hostPort: freePort, containerIP: local, containerPort: 9),
                                             PortBinding(hostIP: .v4(local), hostPort: taken, containerIP: local, containerPort: 9)])
                Issue.record("a taken port was accepted")
                break
            } catch {
                if error.message.contains(":\(freePort)/tcp") { continue }
                #expect(error.code == .inUse)
                #expect(error.message.contains("127.0.0.1:\(taken)/tcp is already in use by pid \(getpid())"), "\(error.message)")
                break
            }
        }
        do {
            try PortProxy.checkAvailable([PortBinding(hostIP: .v4(local), hostPort: taken, containerIP: local, containerPort: 9)]) {
                $0.pid == getpid() ? "container web-1 of project shop" : nil
            }
            Issue.record("a taken port passed the check")
        } catch {
            #expect(error.message.hasPrefix("127.0.0.1:\(taken)/tcp is already in use by container web-1 of project shop"))
        }
        // The port bound before the failure was released again.
        let again = try PortProxy(bindings: [PortBinding(hostIP: .v4(local), hostPort: freePort, containerIP: local, containerPort: 9)])
        again.stop()
    }

    @Test func aHundredPortsAreOneThreadAndStopReleasesThem() throws {
        let echo = try EchoServer()
        defer { echo.stop() }
        // 100 consecutive free ports below the ephemeral range (where short-lived client
        // connections would make a run of free ports rare).
        var bindings: [PortBinding] = []
        for _ in 0..<20 {
            let start = UInt16.random(in: 20000...29000)
            let candidate = PortBinding.range(hostIP: .v4(local), hostPorts: start...(start + 99), containerIP: local,
                                              containerPorts: echo.port...echo.port)!
            if (try? PortProxy.checkAvailable(candidate)) != nil { bindings = candidate; break }
        }
        try #require(bindings.count == 100)
        let threadsBefore = proxyThreadCount()
        let proxy = try PortProxy(bindings: bindings)
        proxy.start()
        // The loop thread names itself as it starts.
        for _ in 0..<100 where proxyThreadCount() == threadsBefore { usleep(10_000) }
        #expect(proxyThreadCount() == threadsBefore + 1)
        #expect(tcpRoundTrip(port: bindings[57].hostPort, payload: Array("hi".utf8)) == Array("hi".utf8))
        proxy.stop()
        // Released: refused, unless a test running beside this one took the port meanwhile.
        let port = bindings[57].hostPort
        #expect(tcpRoundTrip(port: port, payload: Array("hi".utf8)) == nil
                || PortHolder.find(port: port, transport: .tcp)?.pid != getpid())
        #expect(proxyThreadCount() == threadsBefore)
        #expect(PortBinding.range(hostPorts: 1...3, containerIP: local, containerPorts: 1...2) == nil)
    }
}

extension NetworkPortProxyTests {
    @Test(.enabled(if: runningAsRoot, "needs root for namespaces and bridges"), .timeLimit(.minutes(1)))
    func publishedPortsOfAContainerWorkThroughLoopback() throws {
        let bed = try NetworkTestBed()
        defer { bed.cleanUp() }
        let network = try bed.manager.create(NetworkConfiguration(name: bed.name("ports")))
        let sandbox = try bed.sandbox(bed.name("web"))
        let endpoint = try bed.manager.connect(sandbox: sandbox, network: network.name, containerID: bed.name("web"),
                                               containerName: "web")
        let containerIP = try #require(IPv4Address(endpoint.ipv4Address))
        // TCP: busybox httpd inside the namespace.
        let site = bed.directory + "/site"
        try makeDirectories(site)
        try AtomicFile.write("hello from the container\n", to: site + "/index.html")
        let httpd = Process()
        httpd.executableURL = URL(fileURLWithPath: "/usr/bin/nsenter")
        httpd.arguments = ["--net=\(sandbox)", "busybox", "httpd", "-f", "-p", "80", "-h", site]
        try httpd.run()
        // nsenter execs busybox, so this pid is httpd's; SIGKILL because children of
        // Foundation's Process do not always see SIGTERM.
        defer { kill(httpd.processIdentifier, SIGKILL); httpd.waitUntilExit() }
        // UDP: an echo socket opened inside the namespace, served from here.
        let udp = try NetworkNamespace.run(in: sandbox) { () -> Int32 in
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(5353).bigEndian
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            return fd
        }
        defer { shutdown(udp, Int32(SHUT_RDWR)); close(udp) }
        Thread {
            var buffer = [UInt8](repeating: 0, count: 2048)
            var peer = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            while true {
                let count = withUnsafeMutablePointer(to: &peer) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                        buffer.withUnsafeMutableBytes { recvfrom(udp, $0.baseAddress, $0.count, 0, address, &length) }
                    }
                }
                if count <= 0 { return }
                _ = withUnsafePointer(to: &peer) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                        buffer.withUnsafeBytes { sendto(udp, $0.baseAddress, count, 0, address, length) }
                    }
                }
            }
        }.start()
        let proxy = try PortProxy(bindings: [
            PortBinding(hostPort: 0, containerIP: containerIP, containerPort: 80),
            PortBinding(hostPort: 0, transport: .udp, containerIP: containerIP, containerPort: 5353),
        ])
        proxy.start()
        defer { proxy.stop() }
        var page = ""
        for _ in 0..<50 {
            // httpd may still be starting: until then the proxied connection is reset.
            let fetched = try runCommand(["busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:\(proxy.bindings[0].hostPort)/"])
            page = fetched.output
            if fetched.status == 0 { break }
            usleep(50_000)
        }
        #expect(page == "hello from the container\n")
        #expect(udpRoundTrip(port: proxy.bindings[1].hostPort, payload: Array("dns?".utf8)) == Array("dns?".utf8))
    }
}

extension NetworkPortProxyTests {
    @Test(.enabled(if: runningAsRoot, "needs root for namespaces, bridges and nftables"), .timeLimit(.minutes(1)))
    func kernelForwardingReachesAContainerFromLoopbackAndItsNetwork() throws {
        let bed = try NetworkTestBed()
        defer { bed.cleanUp() }
        let network = try bed.manager.create(NetworkConfiguration(name: bed.name("dnat")))
        let web = try bed.sandbox(bed.name("web"))
        let client = try bed.sandbox(bed.name("client"))
        let endpoint = try bed.manager.connect(sandbox: web, network: network.name, containerID: bed.name("web"), containerName: "web")
        _ = try bed.manager.connect(sandbox: client, network: network.name, containerID: bed.name("client"), containerName: "client")
        let site = bed.directory + "/site"
        try makeDirectories(site)
        try AtomicFile.write("kernel\n", to: site + "/index.html")
        let httpd = Process()
        httpd.executableURL = URL(fileURLWithPath: "/usr/bin/nsenter")
        httpd.arguments = ["--net=\(web)", "busybox", "httpd", "-f", "-p", "80", "-h", site]
        try httpd.run()
        defer { kill(httpd.processIdentifier, SIGKILL); httpd.waitUntilExit() }
        // Two free ports, released again: the kernel rules need no listener.
        let probe = try PortProxy(bindings: [PortBinding(hostPort: 0, containerIP: IPv4Address(1), containerPort: 1),
                                             PortBinding(hostPort: 0, containerIP: IPv4Address(1), containerPort: 1)])
        let (loopbackPort, anyPort) = (probe.bindings[0].hostPort, probe.bindings[1].hostPort)
        probe.stop()
        let containerIP = IPv4Address(endpoint.ipv4Address)!
        try bed.manager.publish([
            PortBinding(hostIP: .v4(IPv4Address(127, 0, 0, 1)), hostPort: loopbackPort, containerIP: containerIP, containerPort: 80),
            PortBinding(hostPort: anyPort, containerIP: containerIP, containerPort: 80),
        ], containerID: bed.name("web"))
        let table = KernelPortForwarding.table(bed.name("web"))
        defer { try? bed.manager.unpublish(containerID: bed.name("web")) }
        let fetch = { (arguments: [String]) throws -> String in
            var page = ""
            for _ in 0..<50 {
                page = try runCommand(arguments).output
                if page == "kernel\n" { break }
                usleep(50_000)    // httpd may still be starting
            }
            return page
        }
        #expect(try fetch(["busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:\(loopbackPort)/"]) == "kernel\n")
        #expect(try fetch(["busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:\(anyPort)/"]) == "kernel\n")
        // Another container of the network reaches it through the host's address (hairpin).
        #expect(try fetch(["nsenter", "--net=\(client)", "busybox", "wget", "-q", "-O", "-",
                           "http://\(network.gateway):\(anyPort)/"]) == "kernel\n")
        #expect(try runCommand(["nft", "list", "tables"]).output.contains(table))
        #expect(bed.manager.publishedPorts()[bed.name("web")]?.map(\.hostPort) == [loopbackPort, anyPort])
        // Kernel rules hold no socket: a second claim on the port is refused from the records,
        // and a port a process listens on is refused too.
        do {
            try bed.manager.publish([PortBinding(hostIP: .v4(IPv4Address(127, 0, 0, 1)), hostPort: anyPort,
                                                              containerIP: containerIP, containerPort: 81)],
                                                 containerID: bed.name("other"))
            Issue.record("a port forwarded for one container was given to another")
        } catch {
            #expect(error.code == .inUse && error.message.contains("already published by container \(bed.name("web"))"))
        }
        let listener = try PortProxy(bindings: [PortBinding(hostPort: 0, containerIP: IPv4Address(1), containerPort: 1)])
        defer { listener.stop() }
        do {
            try bed.manager.publish([PortBinding(hostPort: listener.bindings[0].hostPort, containerIP: containerIP,
                                                              containerPort: 80)], containerID: bed.name("other"))
            Issue.record("a port with a listener was forwarded")
        } catch {
            #expect(error.code == .inUse && error.message.contains("pid \(getpid())"), "\(error.message)")
        }
        try bed.manager.unpublish(containerID: bed.name("web"))
        #expect(bed.manager.publishedPorts().isEmpty)
        #expect(!(try runCommand(["nft", "list", "tables"]).output.contains(table)))
        #expect(try runCommand(["busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:\(loopbackPort)/"], timeout: 3).output != "kernel\n")
        #expect(throws: EngineError.self) {
            try bed.manager.publish([PortBinding(hostPort: 1234, containerIP: IPv4Address(10, 99, 99, 2), containerPort: 80)],
                                                 containerID: "nowhere")
        }
    }
}
