/// An IPv6 address as a 128-bit integer (host order), for subnet arithmetic like IPv4's.
public struct IPv6Address: Hashable, Sendable, CustomStringConvertible {
    public let value: UInt128

    public init(_ value: UInt128) { self.value = value }

    /// Parses RFC 4291 text ("fd00::2", "fd12:3456:789a:1::1"); no embedded IPv4, no zone.
    public init?(_ text: some StringProtocol) {
        guard (2...39).contains(text.count) else { return nil }
        // Split at "::" (at most one) into the groups before and after it.
        let characters = Array(text)
        var pieces: [String] = []
        var current = ""
        var index = 0
        while index < characters.count {
            if characters[index] == ":" && index + 1 < characters.count && characters[index + 1] == ":" {
                pieces.append(current)
                current = ""
                index += 2
            } else {
                current.append(characters[index])
                index += 1
            }
        }
        pieces.append(current)
        guard pieces.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(group.count), let number = UInt16(group, radix: 16) else { return nil }
                result.append(number)
            }
            return result
        }
        guard let head = groups(pieces[0]) else { return nil }
        var all = head
        if pieces.count == 2 {
            guard let tail = groups(pieces[1]), head.count + tail.count <= 7 else { return nil }
            all += [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        value = all.reduce(UInt128(0)) { $0 << 16 | UInt128($1) }
    }

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        value = bytes.reduce(UInt128(0)) { $0 << 8 | UInt128($1) }
    }

    /// Network byte order.
    public var bytes: [UInt8] { (0..<16).map { UInt8(truncatingIfNeeded: value >> UInt128(8 * (15 - $0))) } }

    /// Compressed text: the longest run of zero groups becomes "::".
    public var description: String {
        let groups = (0..<8).map { UInt16(truncatingIfNeeded: value >> UInt128(16 * (7 - $0))) }
        var best = (start: -1, length: 0)
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else { index += 1; continue }
            var end = index
            while end < 8 && groups[end] == 0 { end += 1 }
            if end - index > best.length && end - index > 1 { best = (index, end - index) }
            index = end
        }
        let text = groups.map { String($0, radix: 16) }
        guard best.start >= 0 else { return text.joined(separator: ":") }
        return text[..<best.start].joined(separator: ":") + "::" + text[(best.start + best.length)...].joined(separator: ":")
    }
}

/// An IPv6 prefix ("fd00:1::/64"), base always masked.
public struct IPv6Subnet: Hashable, Sendable, CustomStringConvertible {
    public let base: IPv6Address
    public let prefixLength: Int

    public init(_ address: IPv6Address, prefixLength: Int) {
        precondition((0...128).contains(prefixLength))
        self.prefixLength = prefixLength
        base = IPv6Address(address.value & IPv6Subnet.mask(prefixLength))
    }

    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let address = IPv6Address(parts[0]), let length = Int(parts[1]),
              (0...128).contains(length) else { return nil }
        self.init(address, prefixLength: length)
    }

    static func mask(_ length: Int) -> UInt128 { length == 0 ? 0 : UInt128.max << UInt128(128 - length) }

    public func contains(_ address: IPv6Address) -> Bool { address.value & IPv6Subnet.mask(prefixLength) == base.value }

    public func overlaps(_ other: IPv6Subnet) -> Bool { contains(other.base) || other.contains(base) }

    public func address(at offset: UInt128) -> IPv6Address { IPv6Address(base.value &+ offset) }

    public var description: String { "\(base)/\(prefixLength)" }
}
