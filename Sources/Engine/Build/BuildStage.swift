import Foundation

/// A stage while it is being built: its layers, the image configuration it has grown so
/// far, and the ARGs in scope. Metadata instructions change only this value.
struct BuildStage {
    var name: String?
    var layers: [LayerRecord] = []
    var configuration: ImageConfiguration
    var args: [String: String] = [:]
    /// CMD was set in this stage (an ENTRYPOINT then keeps it; otherwise ENTRYPOINT clears
    /// the CMD inherited from the base image, as Docker does).
    var commandSetHere = false

    init(name: String?, base: ImageConfiguration?) {
        self.name = name
        var configuration = base ?? ImageConfiguration(config: .init(), rootfs: .init(diff_ids: []), history: [])
        configuration.config.OnBuild = nil
        configuration.created = nil
        self.configuration = configuration
    }

    var config: ImageConfiguration.Config {
        get { configuration.config }
        set { configuration.config = newValue }
    }

    /// The stage's ENV as a map (later entries win).
    var environment: [String: String] {
        var result: [String: String] = [:]
        for entry in config.Env ?? [] {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            result[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return result
    }

    /// What `$VAR` means in this stage's instructions: ARGs, overridden by ENVs.
    var variables: [String: String] { args.merging(environment) { $1 } }

    mutating func setEnvironment(_ key: String, _ value: String) {
        var entries = config.Env ?? []
        entries.removeAll { $0.hasPrefix(key + "=") || $0 == key }
        entries.append("\(key)=\(value)")
        config.Env = entries
    }

    mutating func record(_ text: String, emptyLayer: Bool) {
        let now = ISO8601DateFormatter().string(from: Date())
        configuration.history = (configuration.history ?? []) + [
            .init(created: now, created_by: text, comment: "swiftcompose build", empty_layer: emptyLayer ? true : nil),
        ]
    }

    /// The shell form's argv: `SHELL` (default /bin/sh -c) and the text.
    func shellCommand(_ text: String) -> [String] {
        (config.Shell ?? ["/bin/sh", "-c"]) + [text]
    }

    /// A stable digest of what a layer step's result depends on besides its inputs: the
    /// layer below and the configuration a RUN sees.
    func cacheBase() -> String {
        let parent = layers.last?.chainID ?? "scratch"
        let relevant = [config.Env ?? [], [config.User ?? ""], [config.WorkingDir ?? ""], config.Shell ?? []]
        return parent + "\n" + relevant.map { $0.joined(separator: "\u{1}") }.joined(separator: "\n")
    }
}
