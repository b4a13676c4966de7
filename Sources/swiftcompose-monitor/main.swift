import Glibc
import Monitor

// swiftcompose-monitor --config <launch.json> [--handshake-fd N] [--attach-fd N]
// Started by the engine for each running container; detaches itself (a second fork and
// setsid) so the CLI that started it can exit — or be killed — without touching it.
// --attach-fd: one end of a connected socket, an attached client from the first byte
// (`run` without -d), so no connection has to be made before the container starts.

func complain(_ message: String) {
    let line = Array("swiftcompose-monitor: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

var configPath: String?
var handshake: Int32 = -1
var attached: Int32 = -1
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--config": configPath = arguments.next()
    case "--handshake-fd": handshake = Int32(arguments.next() ?? "") ?? -1
    case "--attach-fd": attached = Int32(arguments.next() ?? "") ?? -1
    default:
        complain("unknown argument \(argument)")
        exit(2)
    }
}
guard let configPath else {
    complain("usage: swiftcompose-monitor --config <launch.json> [--handshake-fd N] [--attach-fd N]")
    exit(2)
}
let config: LaunchConfig
do { config = try LaunchConfig.read(configPath) } catch {
    complain("\(error)")
    exit(125)
}
// Detach: the starter reaps the intermediate process at once; the monitor is reparented.
let first = fork()
if first < 0 { exit(125) }
if first > 0 { _exit(0) }
setsid()
let null = open("/dev/null", O_RDWR)
if null >= 0 { dup2(null, 0); dup2(null, 1); dup2(null, 2); if null > 2 { close(null) } }
for fd in [handshake, attached] where fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
exit(Supervisor(config: config).run(handshake: handshake, attached: attached))
