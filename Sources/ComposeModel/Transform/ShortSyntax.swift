/// Parsers for the short forms of ports, volumes and devices, producing the long forms
/// docker compose prints.
enum ShortSyntax {
    struct Failure: Error { let message: String; let hint: String? }

    // MARK: ports — "[ip:][host:]container[/proto]", with ranges and [IPv6]

    static func ports(_ spec: String) throws(Failure) -> [ConfigObject] {
        var body = spec
        var proto = "tcp"
        if let slash = body.lastIndex(of: "/") {
            proto = String(body[body.index(after: slash)...]).lowercased()
            body = String(body[..<slash])
            guard ["tcp", "udp", "sctp"].contains(proto) else {
                throw Failure(message: "invalid protocol \"\(proto)\" in port \"\(spec)\"", hint: "use tcp, udp or sctp")
            }
        }
        let parts = body.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let container = parts[parts.count - 1]
        var host = ""
        var ip = ""
        if parts.count == 2 { host = parts[0] }
        if parts.count >= 3 {
            host = parts[parts.count - 2]
            ip = parts[0..<(parts.count - 2)].joined(separator: ":")
            if ip.hasPrefix("["), ip.hasSuffix("]") { ip = String(ip.dropFirst().dropLast()) }
        }
        guard !container.isEmpty else {
            throw Failure(message: "no container port in \"\(spec)\"", hint: "write ports as \"[host_ip:][host_port:]container_port[/protocol]\"")
        }
        let containerRange = try range(container, spec)
        let hostRange = host.isEmpty ? nil : try range(host, spec)
        if let hostRange, hostRange.count > 1, containerRange.count > 1, hostRange.count != containerRange.count {
            throw Failure(message: "port ranges do not match in \"\(spec)\": \(hostRange.count) host ports for \(containerRange.count) container ports", hint: nil)
        }
        var result: [(String, ConfigObject)] = []
        for (offset, port) in containerRange.enumerated() {
            var published = ""
            if let hostRange {
                if containerRange.count == 1 && hostRange.count > 1 {
                    published = "\(hostRange.lowerBound)-\(hostRange.upperBound)"
                } else {
                    published = String(hostRange.lowerBound + offset)
                }
            }
            var object = ConfigObject()
            object["mode"] = .string("ingress")
            if !ip.isEmpty { object["host_ip"] = .string(ip) }
            object["target"] = .int(port)
            if !published.isEmpty { object["published"] = .string(published) }
            object["protocol"] = .string(proto)
            result.append(("\(port)/\(proto)", object))
        }
        // docker sorts the port keys as strings ("100/tcp" before "80/tcp").
        return result.sorted { $0.0 < $1.0 }.map(\.1)
    }

    private static func range(_ text: String, _ spec: String) throws(Failure) -> ClosedRange<Int> {
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false)
        guard bounds.count <= 2, let low = Int(bounds[0]), let high = Int(bounds.count == 2 ? bounds[1] : bounds[0]),
              (0...65535).contains(low), (0...65535).contains(high), low <= high else {
            throw Failure(message: "invalid port \"\(text)\" in \"\(spec)\"", hint: "ports are numbers from 0 to 65535, or ranges like 8000-8010")
        }
        return low...high
    }

    // MARK: volumes — "[source:]target[:options]"

    static func volume(_ spec: String) throws(Failure) -> ConfigObject {
        var object = ConfigObject()
        if spec.isEmpty { throw Failure(message: "empty volume", hint: nil) }
        if spec.count <= 2 {
            object["type"] = .string("volume")
            object["target"] = .string(spec)
            object["volume"] = .object(ConfigObject())
            return object
        }
        var fields: [String] = []
        var buffer = ""
        var depth = 0
        var index = spec.startIndex
        while index <= spec.endIndex {
            let atEnd = index == spec.endIndex
            let c: Character = atEnd ? ":" : spec[index]
            if !atEnd, c == "$", spec.index(after: index) < spec.endIndex, spec[spec.index(after: index)] == "{" {
                depth += 1
                buffer.append(c)
            } else if !atEnd, c == "}", depth > 0 {
                depth -= 1
                buffer.append(c)
            } else if c == ":" && depth == 0 {
                if !atEnd, buffer.count == 1, buffer.first!.isLetter, fields.isEmpty {
                    buffer.append(c) // a Windows drive letter such as C:
                } else {
                    if buffer.isEmpty { throw Failure(message: "invalid volume \"\(spec)\": empty section between colons", hint: nil) }
                    fields.append(buffer)
                    buffer = ""
                }
            } else {
                buffer.append(c)
            }
            if atEnd { break }
            index = spec.index(after: index)
        }
        guard fields.count <= 3 else {
            throw Failure(message: "invalid volume \"\(spec)\": too many colons", hint: "write volumes as \"[source:]target[:ro|rw]\"")
        }
        var source = ""
        var target = ""
        var options = ""
        switch fields.count {
        case 1: target = fields[0]
        case 2: source = fields[0]; target = fields[1]
        default: source = fields[0]; target = fields[1]; options = fields[2]
        }
        var readOnly = false
        var bind = ConfigObject()
        var volume = ConfigObject()
        var hasVolumeOptions = false
        for option in options.split(separator: ",") {
            switch option {
            case "ro": readOnly = true
            case "rw": readOnly = false
            case "nocopy": volume["nocopy"] = .bool(true); hasVolumeOptions = true
            case "rprivate", "private", "rshared", "shared", "rslave", "slave": bind["propagation"] = .string(String(option))
            case "z", "Z": bind["selinux"] = .string(String(option))
            default: break
            }
        }
        let isPath = source.first.map { $0 == "." || $0 == "/" || $0 == "~" } ?? false
        object["type"] = .string(isPath ? "bind" : "volume")
        if !source.isEmpty { object["source"] = .string(source) }
        object["target"] = .string(target)
        if readOnly { object["read_only"] = .bool(true) }
        if isPath {
            bind["create_host_path"] = .bool(true)
            object["bind"] = .object(bind)
        } else {
            if !bind.isEmpty { object["bind"] = .object(bind) }
            object["volume"] = .object(hasVolumeOptions ? volume : ConfigObject())
        }
        return object
    }

    // MARK: devices — "host[:container[:permissions]]"

    static func device(_ spec: String) throws(Failure) -> ConfigObject {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 3 else { throw Failure(message: "confusing device mapping \"\(spec)\"", hint: "use the long syntax with source, target and permissions") }
        var object = ConfigObject()
        object["source"] = .string(parts[0])
        object["target"] = .string(parts.count > 1 && !parts[1].isEmpty ? parts[1] : parts[0])
        object["permissions"] = .string(parts.count > 2 ? parts[2] : "rwm")
        return object
    }
}
