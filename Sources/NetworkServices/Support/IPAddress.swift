/// A host address of either family: where a published port listens. Containers keep
/// IPv4Address; only the host side of a port can be IPv6.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    public static let anyIPv4 = IPAddress.v4(IPv4Address(0))
    public static let anyIPv6 = IPAddress.v6(IPv6Address(0))

    /// Parses "127.0.0.1", "::1" or, as written in URLs and compose's short port syntax, "[::1]".
    public init?(_ text: some StringProtocol) {
        if let v4 = IPv4Address(text) {
            self = .v4(v4)
            return
        }
        var body = Substring(text)
        if body.hasPrefix("["), body.hasSuffix("]") { body = body.dropFirst().dropLast() }
        guard let v6 = IPv6Address(body) else { return nil }
        self = .v6(v6)
    }

    /// 0.0.0.0 or ::, every address of its family.
    public var isUnspecified: Bool {
        switch self {
        case .v4(let address): address.value == 0
        case .v6(let address): address.value == 0
        }
    }

    public var isIPv6: Bool {
        if case .v6 = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .v4(let address): address.description
        case .v6(let address): address.description
        }
    }

    /// The address as it stands before ":port" ("[::1]" for IPv6).
    public var hostText: String {
        isIPv6 ? "[\(description)]" : description
    }

    /// Whether two listeners' addresses overlap: the same family, and the same address or
    /// the unspecified one (port listeners of IPv6 are IPv6-only, so families never overlap).
    public func overlaps(_ other: IPAddress) -> Bool {
        guard isIPv6 == other.isIPv6 else { return false }
        return self == other || isUnspecified || other.isUnspecified
    }
}
