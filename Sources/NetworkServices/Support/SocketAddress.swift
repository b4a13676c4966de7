import Glibc

/// A socket address of either family, in the storage the socket calls take and fill.
struct SocketAddress {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)

    /// Room for an address the kernel fills in (recvfrom, getsockname).
    init() {}

    init(_ ip: IPAddress, _ port: UInt16) {
        withUnsafeMutableBytes(of: &storage) { raw in
            switch ip {
            case .v4(let address):
                raw.withMemoryRebound(to: sockaddr_in.self) { pointer in
                    pointer[0].sin_family = sa_family_t(AF_INET)
                    pointer[0].sin_port = port.bigEndian
                    pointer[0].sin_addr.s_addr = address.value.bigEndian
                }
            case .v6(let address):
                raw.withMemoryRebound(to: sockaddr_in6.self) { pointer in
                    pointer[0].sin6_family = sa_family_t(AF_INET6)
                    pointer[0].sin6_port = port.bigEndian
                    withUnsafeMutableBytes(of: &pointer[0].sin6_addr) { $0.copyBytes(from: address.bytes) }
                }
            }
        }
        length = socklen_t(ip.isIPv6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
    }

    var family: Int32 { Int32(storage.ss_family) }

    /// The port; sin_port and sin6_port sit at the same offset.
    var port: UInt16 {
        withUnsafeBytes(of: storage) { UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self)) }
    }

    var ip: IPAddress? {
        withUnsafeBytes(of: storage) { raw -> IPAddress? in
            switch family {
            case AF_INET: IPv4Address(bytes: raw[4..<8]).map(IPAddress.v4)
            case AF_INET6: IPv6Address(bytes: raw[8..<24]).map(IPAddress.v6)
            default: nil
            }
        }
    }

    /// The IPv4 address, for callers that serve IPv4 only (the DNS server).
    var ipv4: IPv4Address? {
        if case .v4(let address) = ip { return address }
        return nil
    }

    func withPointer<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        withUnsafeBytes(of: storage) { body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self), length) }
    }

    mutating func withMutablePointer<T>(_ body: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> T) -> T {
        var size = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutableBytes(of: &storage) { body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self), &size) }
        length = size
        return result
    }
}

/// A client of a UDP listener as a dictionary key (one listener serves one family).
struct PeerKey: Hashable {
    let address: UInt128
    let port: UInt16

    init(_ peer: SocketAddress) {
        switch peer.ip {
        case .v4(let address): self.address = UInt128(address.value)
        case .v6(let address): self.address = address.value
        case nil: self.address = 0
        }
        port = peer.port
    }
}
