/// The names and addresses of a network's endpoints, as the engine writes them (atomically,
/// on every connect and disconnect) and the network's DNS server reads them.
///
/// One endpoint per line: `<ipv4>[,<ipv6>] <container-name> [<alias>...]`; `#` starts a comment,
/// and a first line `# network <name>` names the network.
/// The first name is the container's own (PTR answers use it); every name may be shared by
/// several endpoints (replicas of one service share their service name), and a query for it
/// returns all of their addresses.
public struct EndpointTable: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var address: IPv4Address
        public var addressV6: IPv6Address?
        public var containerName: String
        public var aliases: [String]

        public init(address: IPv4Address, addressV6: IPv6Address? = nil, containerName: String, aliases: [String]) {
            self.address = address
            self.addressV6 = addressV6
            self.containerName = containerName
            self.aliases = aliases
        }
    }

    public var entries: [Entry]
    /// The network's name, when the text carried it.
    public var network: String?

    public init(entries: [Entry] = [], network: String? = nil) {
        self.entries = entries
        self.network = network
    }

    public init(parsing text: String) {
        var entries: [Entry] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# network ") { network = String(line.dropFirst(10)) }
            if line.hasPrefix("#") { continue }
            let fields = line.split(separator: " ")
            let addresses = fields.first?.split(separator: ",") ?? []
            guard fields.count >= 2, let address = addresses.first.flatMap({ IPv4Address($0) }) else { continue }
            entries.append(Entry(address: address, addressV6: addresses.dropFirst().first.flatMap { IPv6Address($0) },
                                 containerName: String(fields[1]), aliases: fields.dropFirst(2).map(String.init)))
        }
        self.entries = entries
    }

    public func rendered(network: String) -> String {
        var text = "# network \(network)\n# <ipv4>[,<ipv6>] <container-name> [<alias>...]\n"
        for entry in entries {
            let addresses = entry.address.description + (entry.addressV6.map { "," + $0.description } ?? "")
            text += ([addresses, entry.containerName] + entry.aliases).joined(separator: " ") + "\n"
        }
        return text
    }

    /// Every address answering to `name` (case-insensitive, trailing dot ignored), also in
    /// the `<name>.<network>` form; duplicates removed, in table order.
    public func addresses(of name: String, network: String) -> [IPv4Address] {
        var result: [IPv4Address] = []
        for entry in entries(named: name, network: network) where !result.contains(entry.address) {
            result.append(entry.address)
        }
        return result
    }

    /// The IPv6 addresses answering to `name`, as `addresses(of:network:)`.
    public func addressesV6(of name: String, network: String) -> [IPv6Address] {
        var result: [IPv6Address] = []
        for entry in entries(named: name, network: network) {
            if let address = entry.addressV6, !result.contains(address) { result.append(address) }
        }
        return result
    }

    private func entries(named name: String, network: String) -> [Entry] {
        var wanted = name.lowercased()
        if wanted.hasSuffix(".") { wanted.removeLast() }
        let suffix = "." + network.lowercased()
        let short = wanted.hasSuffix(suffix) ? String(wanted.dropLast(suffix.count)) : nil
        return entries.filter { entry in
            let names = ([entry.containerName] + entry.aliases).map { $0.lowercased() }
            return names.contains(wanted) || short.map(names.contains) == true
        }
    }

    /// The container name owning `address`, for PTR answers.
    public func name(of address: IPv4Address) -> String? {
        entries.first { $0.address == address }?.containerName
    }
}
