import ArgumentParser
import Engine
import SystemSupport

/// docker attach's flags, shared by `attach` and `container attach`: input unless
/// --no-stdin (when the container keeps stdin open), the signals this process gets passed
/// on (--sig-proxy, on by default), and the keys that leave the container running
/// (--detach-keys, ctrl-p,ctrl-q by default, with a terminal).
struct AttachOptions: ParsableArguments {
    @Option(name: .customLong("detach-keys"), help: "Override the key sequence for detaching from a container.") var detachKeys: String?
    @Flag(name: .customLong("no-stdin"), help: "Do not attach STDIN.") var noStdin = false
    @Flag(name: .customLong("sig-proxy"), inversion: .prefixedNo, help: "Proxy all received signals to the process.") var sigProxy = true

    /// The keys, checked before anything is attached.
    func keys() throws(EngineError) -> DetachKeys {
        try detachKeys.map { (text) throws(EngineError) in try DetachKeys(parsing: text) } ?? .standard
    }

    /// Runs the session on this terminal until the process exits (its status) or is detached from (0).
    func pump(_ session: AttachSession, spec: ContainerSpec, keys: DetachKeys) -> Int32 {
        var terminal = AttachedTerminal(session: session, tty: spec.tty, interactive: !noStdin && spec.openStdin)
        terminal.proxySignals = sigProxy
        terminal.detachKeys = keys
        return terminal.pump()
    }
}
