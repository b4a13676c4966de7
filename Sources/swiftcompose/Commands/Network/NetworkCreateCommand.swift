import ArgumentParser
import Engine
import SystemSupport

struct NetworkCreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a bridge network; prints its id.")

    @OptionGroup var engine: EngineOptions

    @Option(name: [.customShort("d"), .long], help: "Driver (only bridge).")
    var driver = "bridge"

    @Option(name: .long, help: ArgumentHelp("IPv4 subnet in CIDR form (default: a free one from 172.17-31.0.0/16, 192.168.0-240.0/20).", valueName: "cidr"))
    var subnet: String?

    @Option(name: .long, help: ArgumentHelp("Gateway address (default: the subnet's first address).", valueName: "ip"))
    var gateway: String?

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

    @Flag(name: .customLong("ipv6"), help: "IPv6 (not supported yet: refused).")
    var ipv6 = false

    @Argument(help: "Network name.")
    var name: String

    func run() throws {
        if ipv6 { throw ValidationError("--ipv6: IPv6 networks are not supported yet") }
        let configuration = NetworkConfiguration(
            name: name, driver: driver, subnet: subnet, gateway: gateway, ipRange: ipRange, isInternal: `internal`,
            isAttachable: attachable, labels: try keyValuePairs(label, option: "--label"),
            options: try keyValuePairs(opt, option: "--opt"))
        let record = try networkCall { () throws(EngineError) in try engine.networks.create(configuration) }
        print(record.id)
    }
}
