import SystemSupport

/// The key sequence that detaches an attached terminal from a container and leaves it
/// running (Docker's `--detach-keys`, default `ctrl-p,ctrl-q`). Keys are single characters
/// or `ctrl-<c>` with c in a–z, @, [, \, ], ^ or _.
public struct DetachKeys: Sendable, Equatable {
    public let sequence: [UInt8]

    public static let standard = DetachKeys(sequence: [16, 17])

    public init(sequence: [UInt8]) { self.sequence = sequence }

    public init(parsing text: String) throws(EngineError) {
        var keys: [UInt8] = []
        for key in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bytes = Array(key.utf8)
            if bytes.count == 1 {
                keys.append(bytes[0])
            } else if key.lowercased().hasPrefix("ctrl-"), bytes.count == 6, let control = DetachKeys.control(bytes[5]) {
                keys.append(control)
            } else {
                throw EngineError(.invalidArgument, "invalid detach keys (\(text)): give keys like ctrl-p,ctrl-q, "
                    + "each a character or ctrl- with a-z, @, [, \\, ], ^ or _")
            }
        }
        sequence = keys
    }

    private static func control(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 1
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A") + 1
        case UInt8(ascii: "@"): 0
        case UInt8(ascii: "["): 27
        case UInt8(ascii: "\\"): 28
        case UInt8(ascii: "]"): 29
        case UInt8(ascii: "^"): 30
        case UInt8(ascii: "_"): 31
        default: nil
        }
    }

    /// Watches the input for the sequence. Bytes that may begin it are held back; when
    /// the sequence breaks off they are passed on after all, as Docker does.
    public struct Scanner: Sendable {
        let sequence: [UInt8]
        var matched = 0

        public init(_ keys: DetachKeys) { sequence = keys.sequence }

        /// What to send on from `input`, and whether the sequence was completed (the rest of
        /// the input is then dropped).
        public mutating func scan(_ input: [UInt8]) -> (forward: [UInt8], detach: Bool) {
            guard !sequence.isEmpty else { return (input, false) }
            var forward: [UInt8] = []
            for byte in input {
                if byte == sequence[matched] {
                    matched += 1
                    if matched == sequence.count { return (forward, true) }
                } else {
                    forward += sequence[..<matched]
                    matched = 0
                    if byte == sequence[0] { matched = 1 } else { forward.append(byte) }
                }
            }
            return (forward, false)
        }
    }
}
