import ComposeModel

/// How `kube generate` maps what Kubernetes has several ways to express.
public struct KubeOptions: Sendable {
    public enum VolumeMode: String, Sendable, CaseIterable { case pvc, statefulset, emptydir }
    public enum PublishMode: String, Sendable, CaseIterable { case nodeport, loadbalancer }

    public var volumes = VolumeMode.pvc
    public var publish = PublishMode.nodeport
    public var allowHostPath = false
    /// Only these services (and what they depend on); all when empty.
    public var services: [String] = []
    public init() {}
}

/// Something Kubernetes cannot express, or that needs the user's attention.
public struct KubeError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Names valid as DNS-1123 labels: lowercase alphanumerics and '-', at most 63 characters.
enum KubeName {
    static func dns1123(_ text: String) -> String {
        var name = String(text.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" })
        while name.contains("--") { name = name.replacingOccurrences(of: "--", with: "-") }
        name = String(name.drop { $0 == "-" }.prefix(63))
        while name.hasSuffix("-") { name.removeLast() }
        return name.isEmpty ? "x" : name
    }
}

extension ConfigNode {
    static func text(_ value: String) -> ConfigNode { .string(value) }
    static func map(_ pairs: [(String, ConfigNode)]) -> ConfigNode { .object(ConfigObject(pairs)) }
    static func list(_ items: [ConfigNode]) -> ConfigNode { .array(items) }
    static func number(_ value: Int) -> ConfigNode { .int(value) }
}
