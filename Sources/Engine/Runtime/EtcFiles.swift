import SystemSupport

/// The /etc/hosts, /etc/hostname and /etc/resolv.conf a container gets (bind-mounted
/// from its directory, as Docker does).
enum EtcFiles {
    static func hosts(hostname: String, domainname: String?, addresses: [String], aliases: [String], extraHosts: [String]) -> String {
        var lines = [
            "127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", "fe00::0\tip6-localnet",
            "ff00::0\tip6-mcastprefix", "ff02::1\tip6-allnodes", "ff02::2\tip6-allrouters",
        ]
        for entry in extraHosts {
            // "name:ip" (docker run --add-host) or "name=ip"; IPv6 addresses contain colons.
            let separator = entry.firstIndex(where: { $0 == "=" }) ?? entry.firstIndex(of: ":")
            guard let separator else { continue }
            let name = entry[..<separator], address = entry[entry.index(after: separator)...]
            lines.append("\(address.hasPrefix("[") ? String(address.dropFirst().dropLast()) : String(address))\t\(name)")
        }
        let names = ([domainname.map { "\(hostname).\($0)" }].compactMap { $0 } + [hostname] + aliases).joined(separator: " ")
        for address in addresses { lines.append("\(address)\t\(names)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Explicit DNS settings, else the host's file without loopback servers (unreachable
    /// from the container), else Google's public resolvers as Docker falls back to.
    static func resolvConf(dns: [String], search: [String], options: [String], host: String?) -> String {
        var servers = dns
        var searches = search
        var opts = options
        if servers.isEmpty {
            for line in (host ?? "").split(separator: "\n") {
                let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                guard fields.count >= 2 else { continue }
                switch fields[0] {
                case "nameserver" where !fields[1].hasPrefix("127.") && fields[1] != "::1": servers.append(fields[1])
                case "search" where search.isEmpty: searches = Array(fields.dropFirst())
                case "options" where options.isEmpty: opts += fields.dropFirst()
                default: break
                }
            }
            if servers.isEmpty { servers = ["8.8.8.8", "8.8.4.4"] }
        }
        var lines = servers.map { "nameserver \($0)" }
        if !searches.isEmpty { lines.append("search " + searches.joined(separator: " ")) }
        if !opts.isEmpty { lines.append("options " + opts.joined(separator: " ")) }
        return lines.joined(separator: "\n") + "\n"
    }
}
