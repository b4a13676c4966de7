// swiftcompose-netd: the DNS server of one network. The engine starts it when it creates
// the network and stops it when it removes it:
//
//   swiftcompose-netd --network NAME --address GATEWAY --table PATH --pid-file PATH
//                     [--port 53] [--resolv-conf /etc/resolv.conf]
//
// It answers the names in the endpoint table at PATH (reloaded whenever it is replaced)
// and forwards other names to the resolv.conf nameservers. The pid file is written once
// both sockets are bound, which is what the engine waits for.
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
closeInheritedDescriptors()

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

var options: [String: String] = ["--port": "53", "--resolv-conf": "/etc/resolv.conf"]
var arguments = CommandLine.arguments.dropFirst()
while let name = arguments.popFirst() {
    guard name.hasPrefix("--"), let value = arguments.popFirst() else { fail("unexpected argument \(name)") }
    options[name] = value
}
guard let network = options["--network"], let table = options["--table"], let pidFile = options["--pid-file"],
      let address = options["--address"].flatMap({ IPv4Address($0) }), let port = options["--port"].flatMap({ UInt16($0) }) else {
    fail("usage: swiftcompose-netd --network NAME --address IPV4 --table PATH --pid-file PATH [--port N] [--resolv-conf PATH]")
}

let resolvConf = (try? AtomicFile.read(options["--resolv-conf"]!)).map { String(decoding: $0 ?? [], as: UTF8.self) } ?? ""
// Our own address as upstream would loop queries back to us.
let upstreams = Forwarder.nameservers(inResolvConf: resolvConf).filter { $0 != address }
let names = LocalNames(network: network)
do {
    try EndpointTableWatcher.watch(table, into: names)
    let server = try DNSServer(address: address, port: port, names: names, forwarder: Forwarder(upstreams: upstreams))
    server.start()
    try AtomicFile.write("\(getpid())\n", to: pidFile)
} catch {
    fail("cannot serve DNS for network \(network) on \(address):\(port): \(error)")
}
while true { pause() }
