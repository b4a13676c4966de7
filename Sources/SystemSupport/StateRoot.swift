import Glibc

/// Where the engine keeps its state: a persistent root (images, containers, volumes,
/// networks) and a runtime directory that does not survive a reboot (sockets, pids, netns).
/// Tests always pass a fresh temporary pair so they run side by side and leave the host clean.
public struct StateRoot: Sendable, Hashable {
    public let root: String
    public let run: String

    public init(root: String, run: String) {
        self.root = root
        self.run = run
    }

    /// `--root`/`SWIFTCOMPOSE_ROOT` and `SWIFTCOMPOSE_RUN`, else the system defaults.
    public static func fromEnvironment(root override: String? = nil) -> StateRoot {
        let env = { (name: String) -> String? in
            guard let value = getenv(name) else { return nil }
            let string = String(cString: value)
            return string.isEmpty ? nil : string
        }
        let root = override ?? env("SWIFTCOMPOSE_ROOT") ?? "/var/lib/swiftcompose"
        let run = env("SWIFTCOMPOSE_RUN") ?? (override.map { $0 + "/run" } ?? "/run/swiftcompose")
        return StateRoot(root: root, run: run)
    }

    public func path(_ components: String...) -> String {
        ([root] + components).joined(separator: "/")
    }

    public func runPath(_ components: String...) -> String {
        ([run] + components).joined(separator: "/")
    }
}
