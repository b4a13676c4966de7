import Glibc
import Monitor
import SystemSupport

// swiftcompose-monitor --launch-fd N [--attach-fd N]
// Started by the engine for each running container, often before the container is even
// created: it detaches itself at once (a second fork and setsid) so the CLI that started it
// can exit — or be killed — without touching it, then waits for its launch config.
// --launch-fd: a connected socket. The config comes in on it (to end of stream); the
//   one-line handshake goes out on it (`started <pid>` or `failed <code> <message>`).
//   A stream that ends without a config means the starter gave up: nothing to run.
// --attach-fd: one end of a connected socket, an attached client from the first byte
//   (`run` without -d), so no connection has to be made before the container starts.

func complain(_ message: String) {
    let line = Array("swiftcompose-monitor: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

var launch: Int32 = -1
var attached: Int32 = -1
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--launch-fd": launch = Int32(arguments.next() ?? "") ?? -1
    case "--attach-fd": attached = Int32(arguments.next() ?? "") ?? -1
    default:
        complain("unknown argument \(argument)")
        exit(2)
    }
}
guard launch >= 0 else {
    complain("usage: swiftcompose-monitor --launch-fd N [--attach-fd N]")
    exit(2)
}
// Detach: the starter reaps the intermediate process; the monitor is reparented.
let first = fork()
if first < 0 { exit(125) }
if first > 0 { _exit(0) }
setsid()
let null = open("/dev/null", O_RDWR)
if null >= 0 { dup2(null, 0); dup2(null, 1); dup2(null, 2); if null > 2 { close(null) } }
for fd in [launch, attached] where fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
let config: LaunchConfig
do {
    let bytes = try Syscall.readToEnd(launch, "the launch socket")
    if bytes.isEmpty { exit(0) }
    config = try LaunchConfig.parse(bytes, from: "sent to the monitor")
} catch {
    _ = ControlIO.writeAll(launch, Array("failed 125 \(error)\n".utf8))
    exit(125)
}
exit(Supervisor(config: config).run(handshake: launch, attached: attached))
