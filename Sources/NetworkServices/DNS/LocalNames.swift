import Synchronization

/// Decides what the embedded DNS server answers itself: the network's names and the
/// reverse names of its addresses. Everything else is for the host's resolvers.
public final class LocalNames: Sendable {
    public enum Answer: Equatable {
        /// Answer with these records (possibly none: the name exists, not this type).
        case records([DNSAnswer])
        /// Not a name of ours: forward.
        case forward
    }

    public let network: String
    public let ttl: UInt32
    private let state: Mutex<(table: EndpointTable, turn: Int)>

    public init(network: String, table: EndpointTable = EndpointTable(), ttl: UInt32 = 60) {
        self.network = network
        self.ttl = ttl
        state = Mutex((table, 0))
    }

    public func replace(_ table: EndpointTable) {
        state.withLock { $0.table = table }
    }

    public func answer(_ question: DNSQuestion) -> Answer {
        state.withLock { state -> Answer in
            if let address = LocalNames.reverseAddress(question.name) {
                guard let name = state.table.name(of: address) else { return .forward }
                if question.type != DNSQuestion.typePTR { return .records([]) }
                return .records([.pointer(to: name + "." + network, ttl: ttl)])
            }
            let addresses = state.table.addresses(of: question.name, network: network)
            if addresses.isEmpty { return .forward }
            guard question.type == DNSQuestion.typeA else { return .records([]) }
            // Replicas take turns at the head of the list, so clients that use the first
            // address spread over them.
            state.turn &+= 1
            let start = state.turn % addresses.count
            let rotated = Array(addresses[start...] + addresses[..<start])
            return .records(rotated.map { .address($0, ttl: ttl) })
        }
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
