/// Formatting that must match what docker compose (written in Go) prints, byte for byte,
/// because our output is compared with it and our config hashes must equal its.
public enum GoFormat {
    /// Go's strconv.FormatFloat(f, 'g', -1, 64) for the values compose files hold.
    public static func float(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 9.0e18 {
            return String(Int64(value))
        }
        var text = "\(value)"
        // Swift prints 1e-05 as "1e-05"; Go prints "1e-05" too. Swift's "5.0e-07" → Go "5e-07".
        if let e = text.firstIndex(of: "e") {
            var mantissa = String(text[..<e])
            var exponent = String(text[text.index(after: e)...])
            if mantissa.hasSuffix(".0") { mantissa.removeLast(2) }
            let negative = exponent.hasPrefix("-")
            exponent = exponent.trimmingPrefix { $0 == "-" || $0 == "+" }.description
            if exponent.count < 2 { exponent = "0" + exponent }
            text = mantissa + "e" + (negative ? "-" : "+") + exponent
        }
        return text
    }

    /// Go's time.Duration.String(): "1m30s", "500ms", "1h0m0s", "0s".
    public static func duration(nanoseconds: Int64) -> String {
        if nanoseconds == 0 { return "0s" }
        var n = nanoseconds.magnitude
        let sign = nanoseconds < 0 ? "-" : ""
        if n < 1_000_000_000 {
            // Sub-second: the largest unit that keeps the number at least 1.
            let (unit, scale): (String, UInt64) =
                n < 1_000 ? ("ns", 1) : n < 1_000_000 ? ("µs", 1_000) : ("ms", 1_000_000)
            return sign + fraction(n, scale) + unit
        }
        var text = ""
        let hours = n / 3_600_000_000_000
        n -= hours * 3_600_000_000_000
        let minutes = n / 60_000_000_000
        n -= minutes * 60_000_000_000
        if hours > 0 { text += "\(hours)h" }
        if hours > 0 || minutes > 0 { text += "\(minutes)m" }
        text += fraction(n, 1_000_000_000) + "s"
        return sign + text
    }

    private static func fraction(_ value: UInt64, _ scale: UInt64) -> String {
        let whole = value / scale
        var rest = value % scale
        if rest == 0 { return String(whole) }
        var digits = ""
        var divisor = scale / 10
        while rest > 0 && divisor > 0 {
            digits.append(Character(String(rest / divisor)))
            rest %= divisor
            divisor /= 10
        }
        return "\(whole).\(digits)"
    }
}
