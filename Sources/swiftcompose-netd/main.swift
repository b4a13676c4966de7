// swiftcompose-netd: the network services of one network, in a process of its own.
//
//   swiftcompose-netd --network NAME --address GATEWAY --table PATH --pid-file PATH
//                     [--port 53] [--resolv-conf /etc/resolv.conf]
//                     [--publish HOST_IP:HOST_PORT:CONTAINER_IP:CONTAINER_PORT[/udp]]...
//                     (an IPv6 HOST_IP in brackets: [::1]:8080:172.18.0.2:80)
//
// With --network it is the network's DNS server: it answers the names in the endpoint
// table at PATH (reloaded whenever it is replaced) and forwards other names to the
// resolv.conf nameservers. With --publish it serves published ports through the userland
// port proxy. The engine publishes containers' IPv4 ports through kernel DNAT
// (NetworkManager.publish) and their IPv6 ones through the same proxy inside each
// container's monitor; bench/network measures them side by side. The pid file is
// written once every socket is bound, which is what the engine waits for.
import Glibc
import NetworkServices
import SystemSupport

func fail(_ message: String) -> Never {
    let line = Array("swiftcompose-netd: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(1)
}

// Descriptors the spawning process leaked (it may not mark them close-on-exec) would keep
// its sockets and pipes open for as long as we run.
func closeInheritedDescriptors() {
    guard let directory = opendir("/proc/self/fd") else { return }
    var leaked: [Int32] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if let fd = Int32(name), fd > 2 { leaked.append(fd) }
    }
    let own = dirfd(directory)
    closedir(directory)
    for fd in leaked where fd != own { close(fd) }
}

closeInheritedDescriptors()
var options: [String: String] = ["--port": "53", "--resolv-conf": "/etc/resolv.conf"]
var published: [PortBinding] = []
var arguments = CommandLine.arguments.dropFirst()
while let name = arguments.popFirst() {
    guard name.hasPrefix("--"), let value = arguments.popFirst() else { fail("unexpected argument \(name)") }
    if name == "--publish" {
        guard let binding = PortBinding(argument: value) else { fail("--publish \(value): expected HOST_IP:HOST_PORT:CONTAINER_IP:CONTAINER_PORT[/udp]") }
        published.append(binding)
    } else {
        options[name] = value
    }
}
guard let pidFile = options["--pid-file"] else { fail("--pid-file is required") }

if let network = options["--network"] {
    guard let table = options["--table"], let address = options["--address"].flatMap({ IPv4Address($0) }),
          let port = options["--port"].flatMap({ UInt16($0) }) else {
        fail("usage: swiftcompose-netd --network NAME --address IPV4 --table PATH --pid-file PATH [--port N] [--resolv-conf PATH]")
    }
    let resolvConf = (try? AtomicFile.read(options["--resolv-conf"]!)).map { String(decoding: $0 ?? [], as: UTF8.self) } ?? ""
    // Our own address as upstream would loop queries back to us.
    let upstreams = Forwarder.nameservers(inResolvConf: resolvConf).filter { $0 != address }
    // Tables live in <run>/networks/<id>/endpoints; the other networks' are neighbours.
    let networkDirectory = table.lastIndex(of: "/").map { String(table[..<$0]) } ?? "."
    let networksDirectory = networkDirectory.lastIndex(of: "/").map { String(networkDirectory[..<$0]) } ?? "."
    let names = LocalNames(network: network, neighbours: NeighbourTables(directory: networksDirectory, ownTable: table))
    do {
        try EndpointTableWatcher.watch(table, into: names)
        let server = try DNSServer(address: address, port: port, names: names, forwarder: Forwarder(upstreams: upstreams))
        server.start()
    } catch {
        fail("cannot serve DNS for network \(network) on \(address):\(port): \(error)")
    }
}
let proxy: PortProxy?
if published.isEmpty {
    proxy = nil
} else {
    do { proxy = try PortProxy(bindings: published) } catch { fail(error.description) }
    proxy?.start()
}
do { try AtomicFile.write("\(getpid())\n", to: pidFile) } catch { fail("cannot write \(pidFile): \(error)") }
withExtendedLifetime(proxy) {
    while true { pause() }
}
