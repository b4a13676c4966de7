import Foundation
import SystemSupport

/// The proxy a request goes through, from the environment as curl and Docker read it:
/// HTTPS_PROXY for https, HTTP_PROXY for http (either case, ALL_PROXY as a fallback), and
/// NO_PROXY (`*`, or names and addresses; `example.com` and `.example.com` also cover its
/// subdomains). Loopback addresses are always reached directly, as Docker does.
struct HTTPProxy: Equatable {
    var url: HTTPURL
    var authorization: String?     // Proxy-Authorization, from user:password in the proxy's URL

    static func `for`(_ target: HTTPURL, environment: [String: String]) throws(EngineError) -> HTTPProxy? {
        func variable(_ name: String) -> String? {
            [environment[name.lowercased()], environment[name]].compactMap { $0 }.first { !$0.isEmpty }
        }
        guard !isLoopback(target.host), let setting = variable(target.secure ? "HTTPS_PROXY" : "HTTP_PROXY") ?? variable("ALL_PROXY") else {
            return nil
        }
        if let exceptions = variable("NO_PROXY") {
            let host = target.host.lowercased()
            for entry in exceptions.split(separator: ",").map({ $0.trimmed(of: " ").lowercased() }) where !entry.isEmpty {
                if entry == "*" { return nil }
                let name = entry.hasPrefix(".") ? String(entry.dropFirst()) : entry
                if host == name || host.hasSuffix("." + name) || "\(host):\(target.port)" == name { return nil }
            }
        }
        var text = setting.contains("://") ? setting : "http://" + setting
        var authorization: String?
        if let at = text.lastIndex(of: "@"), let schemeEnd = text.range(of: "://")?.upperBound, at > schemeEnd {
            let credentials = String(text[schemeEnd..<at]).removingPercentEncoding ?? String(text[schemeEnd..<at])
            authorization = "Basic " + Data(credentials.utf8).base64EncodedString()
            text.removeSubrange(schemeEnd...at)
        }
        guard let url = HTTPURL(text), !url.secure else {
            throw EngineError(.invalidArgument, "the proxy \(setting) is not an http:// address; set \(target.secure ? "HTTPS_PROXY" : "HTTP_PROXY") to http://host:port")
        }
        return HTTPProxy(url: url, authorization: authorization)
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host.hasSuffix(".localhost") || host.hasPrefix("127.") || host == "::1"
    }
}
