import Glibc
import SystemSupport

/// `SIGTERM`, `TERM`, `term` or `15` → 15.
public enum SignalNames {
    static let table: [String: Int32] = [
        "HUP": SIGHUP, "INT": SIGINT, "QUIT": SIGQUIT, "ILL": SIGILL, "TRAP": SIGTRAP, "ABRT": SIGABRT,
        "BUS": SIGBUS, "FPE": SIGFPE, "KILL": SIGKILL, "USR1": SIGUSR1, "SEGV": SIGSEGV, "USR2": SIGUSR2,
        "PIPE": SIGPIPE, "ALRM": SIGALRM, "TERM": SIGTERM, "STKFLT": SIGSTKFLT, "CHLD": SIGCHLD, "CONT": SIGCONT,
        "STOP": SIGSTOP, "TSTP": SIGTSTP, "TTIN": SIGTTIN, "TTOU": SIGTTOU, "URG": SIGURG, "XCPU": SIGXCPU,
        "XFSZ": SIGXFSZ, "VTALRM": SIGVTALRM, "PROF": SIGPROF, "WINCH": SIGWINCH, "IO": SIGIO, "PWR": SIGPWR,
        "SYS": SIGSYS,
    ]

    public static func number(_ name: String) throws(EngineError) -> Int32 {
        if let value = Int32(name), value > 0, value < 65 { return value }
        var key = name.uppercased()
        if key.hasPrefix("SIG") { key.removeFirst(3) }
        if let value = table[key] { return value }
        throw EngineError(.invalidArgument, "invalid signal: \(name)")
    }
}
