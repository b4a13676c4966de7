import Glibc

/// Wall-clock time in nanoseconds since the epoch, and its RFC 3339 form with nanoseconds
/// (the `time` of Docker's json-file log lines and the times of `inspect`).
public enum Timestamp {
    public static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }

    /// Monotonic nanoseconds, for timers.
    public static func monotonic() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }

    /// `2026-11-24T19:41:20.123456789Z`; "0001-01-01T00:00:00Z" (Docker's zero time) for 0.
    public static func rfc3339(_ nanoseconds: Int64) -> String {
        if nanoseconds == 0 { return "0001-01-01T00:00:00Z" }
        var seconds = time_t(nanoseconds / 1_000_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let fraction = String(nanoseconds % 1_000_000_000)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
            + String(repeating: "0", count: 9 - fraction.count) + fraction + "Z"
    }

    /// Parses the form `rfc3339` writes (and fractions of any length); nil otherwise.
    public static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T") else { return nil }
        func field(_ from: Int, _ count: Int) -> Int32? { Int32(String(decoding: bytes[from..<from + count], as: UTF8.self)) }
        guard let year = field(0, 4), let month = field(5, 2), let day = field(8, 2), let hour = field(11, 2),
              let minute = field(14, 2), let second = field(17, 2) else { return nil }
        if year == 1 { return 0 }
        var parts = tm()
        parts.tm_year = year - 1900; parts.tm_mon = month - 1; parts.tm_mday = day
        parts.tm_hour = hour; parts.tm_min = minute; parts.tm_sec = second
        var nanos: Int64 = 0
        var index = 19
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                if digits < 9 { nanos = nanos * 10 + Int64(bytes[index] - 48); digits += 1 }
                index += 1
            }
            while digits < 9 { nanos *= 10; digits += 1 }
        }
        return Int64(timegm(&parts)) * 1_000_000_000 + nanos
    }
}
