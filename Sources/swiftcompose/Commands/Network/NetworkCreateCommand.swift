import ArgumentParser
import Engine
import SystemSupport

struct NetworkCreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a bridge network; prints its id.")

    @OptionGroup var engine: EngineOptions

    @Option(name: [.customShort("d"), .long], help: "Driver (only bridge).")
    var driver = "bridge"

    @Option(name: .long, help: ArgumentHelp("Subnet in CIDR form, IPv4 (default: a free one from 172.17-31.0.0/16, 192.168.0-240.0/20) or IPv6; repeatable.", valueName: "cidr"))
    var subnet: [String] = []

    @Option(name: .long, help: ArgumentHelp("Gateway address of an IPv4 or IPv6 subnet (default: the subnet's first address); repeatable.", valueName: "ip"))
    var gateway: [String] = []

    @Option(name: .customLong("ip-range"), help: ArgumentHelp("Give containers addresses from this part of the subnet only.", valueName: "cidr"))
    var ipRange: String?

    @Flag(name: .long, help: "No traffic in or out of the network, only between its containers.")
    var `internal` = false

    @Flag(name: .long, help: "Let containers be connected by hand (recorded; every network allows it here).")
    var attachable = false

    @Option(name: .long, help: ArgumentHelp("Label key=value (repeatable).", valueName: "label"))
    var label: [String] = []

    @Option(name: [.customShort("o"), .customLong("opt")],
            help: ArgumentHelp("Driver option key=value: com.docker.network.bridge.name, com.docker.network.driver.mtu.", valueName: "option"))
    var opt: [String] = []

    @Flag(name: .customLong("ipv6"), help: "Give containers IPv6 addresses too (default prefix: a unique local /64).")
    var ipv6 = false

    @Argument(help: "Network name.")
    var name: String

    func run() throws {
        let isV6 = { (text: String) in text.contains(":") }
        let subnetsV6 = subnet.filter(isV6), gatewaysV6 = gateway.filter(isV6)
        let subnetsV4 = subnet.filter { !isV6($0) }, gatewaysV4 = gateway.filter { !isV6($0) }
        guard subnetsV4.count <= 1, subnetsV6.count <= 1, gatewaysV4.count <= 1, gatewaysV6.count <= 1 else {
            throw ValidationError("--subnet/--gateway: at most one IPv4 and one IPv6 each")
        }
        if !subnetsV6.isEmpty && !ipv6 { throw ValidationError("--subnet \(subnetsV6[0]): IPv6 subnets need --ipv6") }
        let configuration = NetworkConfiguration(
            name: name, driver: driver, subnet: subnetsV4.first, gateway: gatewaysV4.first, ipRange: ipRange,
            isInternal: `internal`, isAttachable: attachable, labels: try keyValuePairs(label, option: "--label"),
            options: try keyValuePairs(opt, option: "--opt"), enableIPv6: ipv6, subnetV6: subnetsV6.first,
            gatewayV6: gatewaysV6.first)
        let record = try networkCall { () throws(EngineError) in try engine.networks.create(configuration) }
        print(record.id)
    }
}
