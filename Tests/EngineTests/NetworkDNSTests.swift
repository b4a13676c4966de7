import Glibc
@testable import NetworkServices
import SystemSupport
import Testing
@testable import Engine

/// Builds a standard query for `name` of `type`.
func dnsQuery(_ name: String, type: UInt16, id: UInt16 = 0x1234) -> [UInt8] {
    [UInt8(id >> 8), UInt8(id & 0xFF), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        + DNSAnswer.encodeName(name) + [UInt8(type >> 8), UInt8(type & 0xFF), 0, 1]
}

/// The A addresses and PTR names of a response (answers only, names compressed to the question).
func dnsAnswers(_ response: [UInt8]) -> (code: UInt8, addresses: [String], pointers: [String]) {
    var offset = 12
    _ = DNSQuery.readName(response, at: &offset)
    offset += 4
    let count = Int(response[6]) << 8 | Int(response[7])
    var addresses: [String] = []
    var pointers: [String] = []
    for _ in 0..<count {
        _ = DNSQuery.readName(response, at: &offset)
        let type = UInt16(response[offset]) << 8 | UInt16(response[offset + 1])
        let length = Int(response[offset + 8]) << 8 | Int(response[offset + 9])
        offset += 10
        if type == DNSQuestion.typeA {
            addresses.append(IPv4Address(bytes: response[offset..<(offset + 4)])!.description)
        } else if type == DNSQuestion.typePTR {
            var nameOffset = offset
            pointers.append(DNSQuery.readName(response, at: &nameOffset) ?? "")
        }
        offset += length
    }
    return (response[3] & 0x0F, addresses, pointers)
}

/// Sends one UDP query to 127.0.0.1:port and returns the response.
func askUDP(_ port: UInt16, _ query: [UInt8]) -> [UInt8]? {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    defer { close(fd) }
    var timeout = timeval(tv_sec: 3, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = IPv4Address(127, 0, 0, 1).value.bigEndian
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    _ = query.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
    return count > 0 ? Array(buffer[0..<count]) : nil
}

@Suite struct NetworkDNSTests {
    let table = EndpointTable(entries: [
        .init(address: IPv4Address("172.20.0.2")!, containerName: "shop-web-1", aliases: ["web", "frontend"]),
        .init(address: IPv4Address("172.20.0.3")!, containerName: "shop-web-2", aliases: ["web"]),
        .init(address: IPv4Address("172.20.0.4")!, containerName: "shop-db-1", aliases: ["db"]),
    ])

    @Test func endpointTableRoundTrips() {
        var dual = table
        dual.entries[0].addressV6 = IPv6Address("fd00:20::2")
        #expect(EndpointTable(parsing: dual.rendered(network: "shop_default")).entries == dual.entries)
        #expect(dual.addressesV6(of: "web", network: "shop_default") == [IPv6Address("fd00:20::2")!])
        let text = table.rendered(network: "shop_default")
        #expect(EndpointTable(parsing: text).entries == table.entries && EndpointTable(parsing: text).network == "shop_default")
        #expect(table.addresses(of: "WEB.", network: "shop_default").map(\.description) == ["172.20.0.2", "172.20.0.3"])
        #expect(table.addresses(of: "db.shop_default", network: "shop_default").map(\.description) == ["172.20.0.4"])
        #expect(table.addresses(of: "db.other", network: "shop_default").isEmpty)
    }

    @Test func localNamesRotateReplicasAndAnswerReverse() throws {
        let names = LocalNames(network: "shop_default", table: table)
        let question = DNSQuestion(name: "web", type: DNSQuestion.typeA, recordClass: 1)
        guard case .records(let first) = names.answer(question), case .records(let second) = names.answer(question) else {
            Issue.record("web is not answered locally")
            return
        }
        #expect(first.count == 2 && Set(first) == Set(second) && first != second)
        #expect(names.answer(DNSQuestion(name: "web", type: DNSQuestion.typeAAAA, recordClass: 1)) == .records([]))
        #expect(names.answer(DNSQuestion(name: "example.org", type: DNSQuestion.typeA, recordClass: 1)) == .forward)
        #expect(names.answer(DNSQuestion(name: "4.0.20.172.in-addr.arpa", type: DNSQuestion.typePTR, recordClass: 1))
            == .records([.pointer(to: "shop-db-1.shop_default", ttl: 60)]))
        #expect(names.answer(DNSQuestion(name: "9.0.20.172.in-addr.arpa", type: DNSQuestion.typePTR, recordClass: 1)) == .forward)
    }

    @Test func namesOfTheAskersOtherNetworksAreAnswered() throws {
        let directory = "/tmp/swiftcompose-dns-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { _ = system("rm -rf \(directory)") }
        let front = EndpointTable(entries: [
            .init(address: IPv4Address("172.20.0.2")!, containerName: "shop-web-1", aliases: ["web"]),
            .init(address: IPv4Address("172.20.0.3")!, containerName: "shop-api-1", aliases: ["api"]),
        ])
        let back = EndpointTable(entries: [
            .init(address: IPv4Address("172.21.0.3")!, containerName: "shop-api-1", aliases: ["api"]),
            .init(address: IPv4Address("172.21.0.4")!, containerName: "shop-db-1", aliases: ["db"]),
        ])
        for (name, table) in [("front", front), ("back", back)] {
            try makeDirectories(directory + "/" + name)
            try AtomicFile.write(table.rendered(network: "shop_" + name), to: directory + "/\(name)/endpoints")
        }
        #expect(EndpointTable(parsing: back.rendered(network: "shop_back")).network == "shop_back")
        let names = LocalNames(network: "shop_front", table: front,
                               neighbours: NeighbourTables(directory: directory, ownTable: directory + "/front/endpoints"))
        let db = DNSQuestion(name: "db", type: DNSQuestion.typeA, recordClass: 1)
        // api is on both networks and finds db; web is only on front and does not.
        #expect(names.answer(db, from: IPv4Address("172.20.0.3")) == .records([.address(IPv4Address("172.21.0.4")!, ttl: 60)]))
        #expect(names.answer(db, from: IPv4Address("172.20.0.2")) == .forward)
        #expect(names.answer(db) == .forward)
    }

    @Test func parsesQueriesAndRejectsOthers() throws {
        let query = try #require(DNSQuery(dnsQuery("db.shop_default", type: DNSQuestion.typeA)))
        #expect(query.question == DNSQuestion(name: "db.shop_default", type: 1, recordClass: 1))
        var response = dnsQuery("x", type: 1)
        response[2] |= 0x80
        #expect(DNSQuery(response) == nil)
        #expect(DNSQuery([1, 2, 3]) == nil)
        let answer = dnsAnswers(query.response(code: 0, answers: [.address(IPv4Address("1.2.3.4")!, ttl: 5)]))
        #expect(answer.code == 0 && answer.addresses == ["1.2.3.4"])
    }

    @Test(.timeLimit(.minutes(1))) func serverAnswersOverUDPAndTCPAndForwards() throws {
        // An "upstream" server that knows example.test, and ours in front of it.
        let upstreamNames = LocalNames(network: "upstream", table: EndpointTable(entries: [
            .init(address: IPv4Address("192.0.2.55")!, containerName: "example.test", aliases: [])]))
        let upstream = try DNSServer(address: IPv4Address(127, 0, 0, 1), port: 0, names: upstreamNames,
                                     forwarder: Forwarder(upstreams: []))
        upstream.start()
        defer { upstream.stop() }
        // Forwarder always asks port 53; point it at the upstream through a test-only port.
        let server = try DNSServer(address: IPv4Address(127, 0, 0, 1), port: 0,
                                   names: LocalNames(network: "shop_default", table: table),
                                   forwarder: Forwarder(upstreams: [IPv4Address(127, 0, 0, 1)], port: upstream.port))
        server.start()
        defer { server.stop() }
        let local = try #require(askUDP(server.port, dnsQuery("db", type: DNSQuestion.typeA)))
        #expect(dnsAnswers(local).addresses == ["172.20.0.4"])
        let forwarded = try #require(askUDP(server.port, dnsQuery("example.test", type: DNSQuestion.typeA, id: 77)))
        #expect(dnsAnswers(forwarded).addresses == ["192.0.2.55"] && forwarded[1] == 77)
        let unknown = try #require(askUDP(upstream.port, dnsQuery("nothing.test", type: DNSQuestion.typeA)))
        #expect(dnsAnswers(unknown).code == DNSQuery.serverFailure)
        // TCP: length-prefixed.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = server.port.bigEndian
        address.sin_addr.s_addr = IPv4Address(127, 0, 0, 1).value.bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(connected == 0)
        let query = dnsQuery("2.0.20.172.in-addr.arpa", type: DNSQuestion.typePTR)
        let framed = [UInt8(query.count >> 8), UInt8(query.count & 0xFF)] + query
        _ = framed.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        var received = 0
        while received < 2 || received < 2 + (Int(buffer[0]) << 8 | Int(buffer[1])) {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + received, $0.count - received, 0) }
            if count <= 0 { break }
            received += count
        }
        #expect(received > 2)
        #expect(dnsAnswers(Array(buffer[2..<received])).pointers == ["shop-web-1.shop_default"])
    }
}
