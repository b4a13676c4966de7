import ArgumentParser
import Monitor

/// Go-style durations as docker's flags take them: `30s`, `1m30s`, `500ms`, `1h`.
enum DurationParser {
    static func nanoseconds(_ text: String) throws -> Int64 {
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        var rest = Substring(text)
        var total: Double = 0
        if let plain = Double(text) { return Int64(plain * 1e9) }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            rest = rest.dropFirst(number.count)
            guard let value = Double(number), let unit = units.first(where: { rest.hasPrefix($0.0) && !(($0.0 == "m") && rest.hasPrefix("ms")) }) else {
                throw ValidationError("invalid duration \"\(text)\"; use forms like 30s, 1m30s or 500ms")
            }
            total += value * unit.1
            rest = rest.dropFirst(unit.0.count)
        }
        return Int64(total)
    }
}

/// The time of `logs --since/--until`: an RFC 3339 timestamp, Unix seconds (as docker takes
/// them), or a duration that far in the past (`10m`).
enum LogTimeArgument {
    static func nanoseconds(_ text: String, flag: String) throws -> Int64 {
        if let time = Timestamp.parse(text) { return time }
        if let seconds = Double(text) { return Int64(seconds * 1e9) }
        do {
            return Timestamp.now() - (try DurationParser.nanoseconds(text))
        } catch {
            throw ValidationError("\(flag) \(text): write a time (2026-01-02T13:23:37Z), Unix seconds or a duration ago (42m)")
        }
    }
}
