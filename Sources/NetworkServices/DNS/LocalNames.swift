import Synchronization

/// Decides what the embedded DNS server answers itself: the network's names and the
/// reverse names of its addresses — and, for a container attached to other networks too,
/// their names (read from `neighbours`). Everything else is for the host's resolvers.
public final class LocalNames: Sendable {
    public enum Answer: Equatable {
        /// Answer with these records (possibly none: the name exists, not this type).
        case records([DNSAnswer])
        /// Not a name of ours: forward.
        case forward
    }

    public let network: String
    public let ttl: UInt32
    let neighbours: NeighbourTables?
    private let state: Mutex<(table: EndpointTable, turn: Int)>

    public init(network: String, table: EndpointTable = EndpointTable(), neighbours: NeighbourTables? = nil, ttl: UInt32 = 60) {
        self.network = network
        self.ttl = ttl
        self.neighbours = neighbours
        state = Mutex((table, 0))
    }

    public func replace(_ table: EndpointTable) {
        state.withLock { $0.table = table }
    }

    /// The answer to `question` asked by `asker` (the client's address, when known).
    public func answer(_ question: DNSQuestion, from asker: IPv4Address? = nil) -> Answer {
        let (local, askerName) = state.withLock { state in
            (LocalNames.answer(question, in: state.table, network: network, ttl: ttl, turn: &state.turn),
             asker.flatMap { state.table.name(of: $0) })
        }
        guard local == .forward, let askerName, let neighbours else { return local }
        // The asker's other networks: those whose table lists it too.
        for neighbour in neighbours.tables() where neighbour.table.entries.contains(where: { $0.containerName == askerName }) {
            var turn = state.withLock { state in
                state.turn &+= 1
                return state.turn
            }
            let answer = LocalNames.answer(question, in: neighbour.table, network: neighbour.network, ttl: ttl, turn: &turn)
            if answer != .forward { return answer }
        }
        return .forward
    }

    private static func answer(_ question: DNSQuestion, in table: EndpointTable, network: String, ttl: UInt32,
                               turn: inout Int) -> Answer {
        if let address = reverseAddress(question.name) {
            guard let name = table.name(of: address) else { return .forward }
            if question.type != DNSQuestion.typePTR { return .records([]) }
            return .records([.pointer(to: name + "." + network, ttl: ttl)])
        }
        let addresses = table.addresses(of: question.name, network: network)
        if addresses.isEmpty { return .forward }
        // Replicas take turns at the head of the list, so clients that use the first
        // address spread over them.
        turn &+= 1
        switch question.type {
        case DNSQuestion.typeA:
            return .records(rotated(addresses, turn).map { .address($0, ttl: ttl) })
        case DNSQuestion.typeAAAA:
            let addressesV6 = table.addressesV6(of: question.name, network: network)
            return .records(rotated(addressesV6, turn).map { .address($0, ttl: ttl) })
        default:
            return .records([])
        }
    }

    private static func rotated<T>(_ items: [T], _ turn: Int) -> [T] {
        guard !items.isEmpty else { return [] }
        let start = turn % items.count
        return Array(items[start...] + items[..<start])
    }

    /// "2.0.18.172.in-addr.arpa" → 172.18.0.2.
    static func reverseAddress(_ name: String) -> IPv4Address? {
        let lowered = name.lowercased()
        let suffix = ".in-addr.arpa"
        guard lowered.hasSuffix(suffix) else { return nil }
        let octets = lowered.dropLast(suffix.count).split(separator: ".")
        guard octets.count == 4 else { return nil }
        return IPv4Address(octets.reversed().joined(separator: "."))
    }
}
