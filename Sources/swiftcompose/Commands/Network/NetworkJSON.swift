import Engine
import Foundation

/// Networks in the shapes docker prints, so scripts written for docker read ours.
enum NetworkJSON {
    /// `docker network inspect`'s object.
    static func inspectObject(_ record: NetworkRecord) -> [String: Any] {
        let prefix = record.subnet.split(separator: "/").last.map(String.init) ?? "32"
        var ipamConfig: [String: Any] = ["Subnet": record.subnet, "Gateway": record.gateway]
        if let range = record.ipRange { ipamConfig["IPRange"] = range }
        var configs: [[String: Any]] = [ipamConfig]
        if let subnetV6 = record.subnetV6, let gatewayV6 = record.gatewayV6 {
            configs.append(["Subnet": subnetV6, "Gateway": gatewayV6])
        }
        let prefixV6 = record.subnetV6?.split(separator: "/").last.map(String.init) ?? "64"
        let containers = Dictionary(uniqueKeysWithValues: record.endpoints.values.map { endpoint -> (String, Any) in
            (endpoint.containerID, [
                "Name": endpoint.containerName,
                "EndpointID": endpoint.hostInterface,
                "MacAddress": endpoint.macAddress,
                "IPv4Address": "\(endpoint.ipv4Address)/\(prefix)",
                "IPv6Address": endpoint.ipv6Address.map { "\($0)/\(prefixV6)" } ?? "",
                "Aliases": endpoint.aliases,
            ] as [String: Any])
        })
        var options = record.options
        options["com.docker.network.bridge.name"] = record.bridge
        return [
            "Name": record.name, "Id": record.id, "Created": timestamp(record.created), "Scope": "local",
            "Driver": record.driver, "EnableIPv6": record.subnetV6 != nil, "Internal": record.isInternal,
            "Attachable": record.isAttachable, "Ingress": false, "ConfigOnly": false,
            "ConfigFrom": ["Network": ""],
            "IPAM": ["Driver": "default", "Options": [String: String](), "Config": configs] as [String: Any],
            "Containers": containers, "Options": options, "Labels": record.labels,
        ]
    }

    /// One line of `docker network ls --format json`.
    static func listObject(_ record: NetworkRecord) -> [String: Any] {
        [
            "ID": String(record.id.prefix(12)), "Name": record.name, "Driver": record.driver, "Scope": "local",
            "IPv6": record.subnetV6 != nil ? "true" : "false", "Internal": record.isInternal ? "true" : "false",
            "Labels": record.labels.keys.sorted().map { "\($0)=\(record.labels[$0]!)" }.joined(separator: ","),
            "CreatedAt": timestamp(record.created),
        ]
    }

    static func text(_ object: Any, pretty: Bool) throws -> String {
        var options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        if pretty { options.insert(.prettyPrinted) }
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: options), as: UTF8.self)
    }

    static func timestamp(_ seconds: Int) -> String {
        Date(timeIntervalSince1970: TimeInterval(seconds)).ISO8601Format()
    }
}
