/// Builds and reads rtnetlink messages as bytes: a 16-byte `nlmsghdr`, a fixed family
/// header (ifinfomsg, ifaddrmsg, rtmsg), then 4-byte-aligned attributes (`rtattr`).
/// The kernel headers are not visible to Swift, so the layouts are spelled out here.
struct NetlinkRequest {
    private(set) var bytes: [UInt8] = []
    private var nestStarts: [Int] = []

    init(type: UInt16, flags: UInt16) {
        bytes = [UInt8](repeating: 0, count: 16)
        bytes.store(type, at: 4)
        bytes.store(flags | NetlinkConstant.request, at: 6)
    }

    mutating func addFlags(_ extra: UInt16) {
        let flags = UInt16(bytes[6]) | UInt16(bytes[7]) << 8 | extra
        bytes.store(flags, at: 6)
    }

    /// `ifinfomsg`: family, type, index, flags, change.
    mutating func appendLinkHeader(index: Int32 = 0, flags: UInt32 = 0, change: UInt32 = 0) {
        var header = [UInt8](repeating: 0, count: 16)
        header.store(UInt32(bitPattern: index), at: 4)
        header.store(flags, at: 8)
        header.store(change, at: 12)
        bytes += header
    }

    /// `ifaddrmsg`: family, prefix length, flags, scope, index.
    mutating func appendAddressHeader(family: UInt8, prefixLength: UInt8, flags: UInt8 = 0, index: Int32) {
        var header: [UInt8] = [family, prefixLength, flags, 0, 0, 0, 0, 0]
        header.store(UInt32(bitPattern: index), at: 4)
        bytes += header
    }

    /// `rtmsg`: family, dst_len, src_len, tos, table, protocol, scope, type, flags.
    mutating func appendRouteHeader(family: UInt8, destinationLength: UInt8, table: UInt8,
                                    protocol proto: UInt8, scope: UInt8, type: UInt8) {
        bytes += [family, destinationLength, 0, 0, table, proto, scope, type, 0, 0, 0, 0]
    }

    mutating func appendAttribute(_ type: UInt16, _ payload: [UInt8]) {
        var header = [UInt8](repeating: 0, count: 4)
        header.store(UInt16(4 + payload.count), at: 0)
        header.store(type, at: 2)
        bytes += header + payload
        pad()
    }

    mutating func appendAttribute(_ type: UInt16, string: String) {
        appendAttribute(type, Array(string.utf8) + [0])
    }

    mutating func appendAttribute(_ type: UInt16, uint32: UInt32) {
        var payload = [UInt8](repeating: 0, count: 4)
        payload.store(uint32, at: 0)
        appendAttribute(type, payload)
    }

    /// Opens a nested attribute; its length is fixed by `endNested`.
    mutating func beginNested(_ type: UInt16) {
        nestStarts.append(bytes.count)
        appendAttribute(type, [])
    }

    mutating func endNested() {
        let start = nestStarts.removeLast()
        bytes.store(UInt16(bytes.count - start), at: start)
    }

    /// Raw bytes inside the current nest (a nested `ifinfomsg` for a veth peer).
    mutating func appendRaw(_ raw: [UInt8]) {
        bytes += raw
        pad()
    }

    private mutating func pad() {
        while bytes.count % 4 != 0 { bytes.append(0) }
    }

    /// The finished message with its length and sequence number filled in.
    func finished(sequence: UInt32) -> [UInt8] {
        var result = bytes
        result.store(UInt32(result.count), at: 0)
        result.store(sequence, at: 8)
        return result
    }
}

/// One message received from the kernel.
struct NetlinkReply {
    let type: UInt16
    let sequence: UInt32
    /// Everything after the 16-byte header.
    let payload: ArraySlice<UInt8>

    /// Splits a datagram into its messages.
    static func split(_ datagram: ArraySlice<UInt8>) -> [NetlinkReply] {
        var replies: [NetlinkReply] = []
        var offset = datagram.startIndex
        while offset + 16 <= datagram.endIndex {
            let length = Int(datagram.load(UInt32.self, at: offset))
            guard length >= 16, offset + length <= datagram.endIndex else { break }
            replies.append(NetlinkReply(type: datagram.load(UInt16.self, at: offset + 4),
                                        sequence: datagram.load(UInt32.self, at: offset + 8),
                                        payload: datagram[(offset + 16)..<(offset + length)]))
            offset += (length + 3) & ~3
        }
        return replies
    }

    /// Attributes following a family header of `headerSize` bytes.
    func attributes(after headerSize: Int) -> [UInt16: ArraySlice<UInt8>] {
        NetlinkReply.attributes(in: payload.dropFirst(headerSize))
    }

    static func attributes(in region: ArraySlice<UInt8>) -> [UInt16: ArraySlice<UInt8>] {
        var result: [UInt16: ArraySlice<UInt8>] = [:]
        var offset = region.startIndex
        while offset + 4 <= region.endIndex {
            let length = Int(region.load(UInt16.self, at: offset))
            guard length >= 4, offset + length <= region.endIndex else { break }
            let type = region.load(UInt16.self, at: offset + 2) & 0x3FFF
            result[type] = region[(offset + 4)..<(offset + length)]
            offset += (length + 3) & ~3
        }
        return result
    }
}

extension Array where Element == UInt8 {
    mutating func store<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self) }
    }
}

extension ArraySlice where Element == UInt8 {
    func load<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        var value: T = 0
        Swift.withUnsafeMutableBytes(of: &value) { target in
            for index in 0..<MemoryLayout<T>.size { target[index] = self[offset + index] }
        }
        return T(littleEndian: value)
    }

    /// A NUL-terminated string attribute.
    var cString: String {
        String(decoding: prefix { $0 != 0 }, as: UTF8.self)
    }
}

/// The kernel's rtnetlink numbers (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h).
enum NetlinkConstant {
    static let request: UInt16 = 0x1
    static let acknowledge: UInt16 = 0x4
    static let dump: UInt16 = 0x300
    static let exclusive: UInt16 = 0x200
    static let create: UInt16 = 0x400

    static let error: UInt16 = 2
    static let done: UInt16 = 3

    static let newLink: UInt16 = 16
    static let deleteLink: UInt16 = 17
    static let getLink: UInt16 = 18
    static let newAddress: UInt16 = 20
    static let getAddress: UInt16 = 22
    static let newRoute: UInt16 = 24
    static let getRoute: UInt16 = 26

    static let linkAddress: UInt16 = 1     // IFLA_ADDRESS
    static let linkName: UInt16 = 3        // IFLA_IFNAME
    static let linkMTU: UInt16 = 4         // IFLA_MTU
    static let linkMaster: UInt16 = 10     // IFLA_MASTER
    static let linkInfo: UInt16 = 18       // IFLA_LINKINFO
    static let linkNamespaceFD: UInt16 = 28 // IFLA_NET_NS_FD
    static let infoKind: UInt16 = 1        // IFLA_INFO_KIND
    static let infoData: UInt16 = 2        // IFLA_INFO_DATA
    static let vethPeer: UInt16 = 1        // VETH_INFO_PEER
    static let nested: UInt16 = 0x8000     // NLA_F_NESTED

    static let addressAddress: UInt16 = 1  // IFA_ADDRESS
    static let addressLocal: UInt16 = 2    // IFA_LOCAL
    static let addressBroadcast: UInt16 = 4 // IFA_BROADCAST

    static let routeDestination: UInt16 = 1 // RTA_DST
    static let routeOutput: UInt16 = 4      // RTA_OIF
    static let routeGateway: UInt16 = 5     // RTA_GATEWAY
    static let routeTable: UInt16 = 15      // RTA_TABLE

    static let interfaceUp: UInt32 = 0x1    // IFF_UP
    static let noDuplicateDetection: UInt8 = 0x2 // IFA_F_NODAD
    static let inet6: UInt8 = 10            // AF_INET6
    static let mainTable: UInt8 = 254
    static let protocolStatic: UInt8 = 4
    static let scopeUniverse: UInt8 = 0
    static let unicast: UInt8 = 1
}
