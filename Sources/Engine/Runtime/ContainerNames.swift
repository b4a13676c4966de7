/// Container names: Docker's rule for valid ones, and generated `adjective_name` ones.
enum ContainerNames {
    static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, isAlphanumeric(first) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
    }

    static let adjectives = ["admiring", "brave", "clever", "dazzling", "eager", "focused", "gallant", "happy",
                             "jolly", "keen", "lucid", "modest", "nifty", "optimistic", "quirky", "relaxed",
                             "serene", "tender", "upbeat", "vibrant", "wizardly", "zealous"]
    static let names = ["allen", "babbage", "curie", "dijkstra", "euler", "feynman", "goldberg", "hopper",
                        "knuth", "lamport", "lovelace", "mccarthy", "noether", "pike", "ritchie", "shannon",
                        "thompson", "turing", "wirth", "yonath"]

    static func generate(isTaken: (String) -> Bool) -> String {
        while true {
            let name = "\(adjectives.randomElement()!)_\(names.randomElement()!)"
            if !isTaken(name) { return name }
            let numbered = "\(name)\(Int.random(in: 1...9))"
            if !isTaken(numbered) { return numbered }
        }
    }
}
