/// An IPv4 address as a host-order integer, so subnet arithmetic is plain integer math.
public struct IPv4Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad text ("172.18.0.2"); nil for anything else.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var result: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, let octet = UInt8(part) else { return nil }
            result = result << 8 | UInt32(octet)
        }
        value = result
    }

    /// Network byte order, as sockets and netlink want it.
    public var bytes: [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 4 else { return nil }
        value = bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    public var description: String { bytes.map(String.init).joined(separator: ".") }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.value < rhs.value }
}

/// A CIDR block ("172.18.0.0/16"): the base address is always masked.
public struct IPv4Subnet: Hashable, Sendable, CustomStringConvertible {
    public let base: IPv4Address
    public let prefixLength: Int

    public init(_ address: IPv4Address, prefixLength: Int) {
        precondition((0...32).contains(prefixLength))
        self.prefixLength = prefixLength
        base = IPv4Address(address.value & IPv4Subnet.mask(prefixLength))
    }

    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let address = IPv4Address(parts[0]), let length = Int(parts[1]),
              (0...32).contains(length) else { return nil }
        self.init(address, prefixLength: length)
    }

    static func mask(_ length: Int) -> UInt32 { length == 0 ? 0 : UInt32.max << UInt32(32 - length) }

    public var mask: UInt32 { IPv4Subnet.mask(prefixLength) }
    public var last: IPv4Address { IPv4Address(base.value | ~mask) }
    public var broadcast: IPv4Address { last }

    public func contains(_ address: IPv4Address) -> Bool { address.value & mask == base.value }

    public func overlaps(_ other: IPv4Subnet) -> Bool {
        contains(other.base) || other.contains(base)
    }

    /// The n-th address after the base (1 is the usual gateway).
    public func address(at offset: UInt32) -> IPv4Address { IPv4Address(base.value &+ offset) }

    public var description: String { "\(base)/\(prefixLength)" }
}
