/// The parts of a DNS message (RFC 1035) the embedded server reads and writes: the header,
/// the single question of a query, and answers of type A and PTR.
public struct DNSQuestion: Equatable, Sendable {
    public var name: String
    public var type: UInt16
    public var recordClass: UInt16

    public static let typeA: UInt16 = 1
    public static let typePTR: UInt16 = 12
    public static let typeAAAA: UInt16 = 28
}

public struct DNSQuery: Sendable {
    public let id: UInt16
    public let flags: UInt16
    public let question: DNSQuestion
    /// The raw question section, echoed in answers.
    let questionBytes: ArraySlice<UInt8>

    /// Parses a query; nil when it is not a standard query with exactly one question.
    public init?(_ bytes: [UInt8]) {
        guard bytes.count >= 12 else { return nil }
        id = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        flags = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        let questions = UInt16(bytes[4]) << 8 | UInt16(bytes[5])
        // QR must be 0 (a query) and the opcode 0 (standard query).
        guard flags & 0x8000 == 0, flags & 0x7800 == 0, questions == 1 else { return nil }
        var offset = 12
        guard let name = DNSQuery.readName(bytes, at: &offset), offset + 4 <= bytes.count else { return nil }
        let type = UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
        let recordClass = UInt16(bytes[offset + 2]) << 8 | UInt16(bytes[offset + 3])
        question = DNSQuestion(name: name, type: type, recordClass: recordClass)
        questionBytes = bytes[12..<(offset + 4)]
    }

    /// Reads a (possibly compressed) domain name; labels joined by dots, no trailing dot.
    static func readName(_ bytes: [UInt8], at offset: inout Int) -> String? {
        var labels: [String] = []
        var position = offset
        var jumped = false
        var hops = 0
        while true {
            guard position < bytes.count else { return nil }
            let length = Int(bytes[position])
            if length == 0 {
                position += 1
                break
            }
            if length & 0xC0 == 0xC0 {
                guard position + 1 < bytes.count, hops < 16 else { return nil }
                if !jumped { offset = position + 2 }
                jumped = true
                hops += 1
                position = (length & 0x3F) << 8 | Int(bytes[position + 1])
                continue
            }
            guard length <= 63, position + 1 + length <= bytes.count else { return nil }
            labels.append(String(decoding: bytes[(position + 1)...(position + length)], as: UTF8.self))
            position += 1 + length
        }
        if !jumped { offset = position }
        return labels.joined(separator: ".")
    }

    /// A response carrying `answers` (already encoded resource data per record).
    public func response(code: UInt8, answers: [DNSAnswer]) -> [UInt8] {
        // QR=1, opcode copied, AA=1, RD copied, RA=1, rcode.
        let responseFlags: UInt16 = 0x8000 | (flags & 0x7900) | 0x0400 | 0x0080 | UInt16(code & 0x0F)
        var out: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), UInt8(responseFlags >> 8), UInt8(responseFlags & 0xFF),
                            0, 1, UInt8(answers.count >> 8), UInt8(answers.count & 0xFF), 0, 0, 0, 0]
        out += questionBytes
        for answer in answers {
            out += [0xC0, 12]    // the name: a pointer to the question's
            out += [UInt8(answer.type >> 8), UInt8(answer.type & 0xFF), 0, 1]
            out += [UInt8(answer.ttl >> 24), UInt8(answer.ttl >> 16 & 0xFF), UInt8(answer.ttl >> 8 & 0xFF), UInt8(answer.ttl & 0xFF)]
            out += [UInt8(answer.data.count >> 8), UInt8(answer.data.count & 0xFF)]
            out += answer.data
        }
        return out
    }

    public static let noError: UInt8 = 0
    public static let serverFailure: UInt8 = 2
    public static let nameError: UInt8 = 3
}

public struct DNSAnswer: Hashable, Sendable {
    public var type: UInt16
    public var ttl: UInt32
    public var data: [UInt8]

    public static func address(_ address: IPv4Address, ttl: UInt32) -> DNSAnswer {
        DNSAnswer(type: DNSQuestion.typeA, ttl: ttl, data: address.bytes)
    }

    public static func address(_ address: IPv6Address, ttl: UInt32) -> DNSAnswer {
        DNSAnswer(type: DNSQuestion.typeAAAA, ttl: ttl, data: address.bytes)
    }

    public static func pointer(to name: String, ttl: UInt32) -> DNSAnswer {
        DNSAnswer(type: DNSQuestion.typePTR, ttl: ttl, data: encodeName(name))
    }

    static func encodeName(_ name: String) -> [UInt8] {
        var out: [UInt8] = []
        for label in name.split(separator: ".") {
            let bytes = Array(label.utf8.prefix(63))
            out.append(UInt8(bytes.count))
            out += bytes
        }
        return out + [0]
    }
}
