import Foundation
import SystemSupport
import Testing
@testable import Engine

/// Bytes served in small, uneven pieces, as a socket hands them over; what is written is kept.
private final class ScriptedTransport: HTTPTransport {
    private var bytes: [UInt8]
    private var offset = 0
    private let piece: Int
    var written: [UInt8] = []

    init(_ text: String, piece: Int = 7) {
        bytes = Array(text.utf8)
        self.piece = piece
    }

    func read(_ buffer: UnsafeMutableRawBufferPointer) throws(EngineError) -> Int {
        let count = min(piece, buffer.count, bytes.count - offset)
        for index in 0..<count { buffer[index] = bytes[offset + index] }
        offset += count
        return count
    }

    func write(_ data: UnsafeRawBufferPointer) throws(EngineError) -> Int {
        written.append(contentsOf: data)
        return data.count
    }
}

@Suite("HTTPClientUnit")
struct HTTPClientUnitTests {
    private func read(_ text: String, method: String = "GET") throws -> (HTTPResponse, String) {
        let reader = HTTPResponseReader(ScriptedTransport(text), origin: "registry.test")
        let response = try reader.head()
        var body: [UInt8] = []
        try reader.body(of: response, method: method) { body.append(contentsOf: $0) }
        return (response, String(decoding: body, as: UTF8.self))
    }

    @Test func addressesSplitIntoHostPortAndTarget() {
        #expect(HTTPURL("https://registry-1.docker.io/v2/") == HTTPURL(secure: true, host: "registry-1.docker.io", port: 443, target: "/v2/"))
        #expect(HTTPURL("http://127.0.0.1:5000") == HTTPURL(secure: false, host: "127.0.0.1", port: 5000, target: "/"))
        #expect(HTTPURL("https://[fd00::1]:8443/v2/x?n=1") == HTTPURL(secure: true, host: "fd00::1", port: 8443, target: "/v2/x?n=1"))
        #expect(HTTPURL("https://auth.example/token?scope=a")?.target == "/token?scope=a")
        #expect(HTTPURL("ftp://x/") == nil)
        #expect(HTTPURL("http://x:notaport/") == nil)
        #expect(HTTPURL("http://user@x/") == nil)
        #expect(HTTPURL("https://[fd00::1]:8443/")?.authority == "[fd00::1]:8443")
        #expect(HTTPURL("https://r.example:443/")?.authority == "r.example")
        let base = HTTPURL("https://r.example:5000/v2/a/blobs/uploads/")!
        #expect(base.resolving("/v2/a/blobs/uploads/123?_state=x")?.description == "https://r.example:5000/v2/a/blobs/uploads/123?_state=x")
        #expect(base.resolving("https://storage.example/blob?sig=1")?.host == "storage.example")
        #expect(base.resolving("relative/path") == nil)
    }

    @Test func aRequestCarriesHostLengthAndClose() {
        var request = HTTPRequest(method: "PUT", url: HTTPURL("http://127.0.0.1:5000/v2/a/manifests/v1")!, body: Array("{}".utf8))
        request.setHeader("Content-Type", "application/json")
        request.setHeader("content-type", "application/vnd.oci.image.manifest.v1+json")
        let text = String(decoding: request.serialized(), as: UTF8.self)
        #expect(text == "PUT /v2/a/manifests/v1 HTTP/1.1\r\nHost: 127.0.0.1:5000\r\ncontent-type: application/vnd.oci.image.manifest.v1+json\r\n"
            + "Content-Length: 2\r\nConnection: close\r\n\r\n{}")
        let proxied = HTTPRequest(method: "GET", url: HTTPURL("http://r.example/v2/")!).serialized(absoluteTarget: true)
        #expect(String(decoding: proxied, as: UTF8.self).hasPrefix("GET http://r.example/v2/ HTTP/1.1\r\nHost: r.example\r\n"))
    }

    @Test func bodiesAreFramedByLengthChunksOrClose() throws {
        let (sized, sizedBody) = try read("HTTP/1.1 200 OK\r\nContent-Length: 11\r\nDocker-Content-Digest: sha256:ab\r\n\r\nhello worldEXTRA")
        #expect(sized.statusCode == 200 && sizedBody == "hello world")
        #expect(sized.header("docker-content-digest") == "sha256:ab")
        let (_, chunked) = try read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=x\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: y\r\n\r\n")
        #expect(chunked == "hello world")
        let (_, untilClose) = try read("HTTP/1.0 200 OK\nServer: old\n\nall of it\nto the end")
        #expect(untilClose == "all of it\nto the end")
        let (continued, body) = try read("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nLocation: /v2/x\r\nContent-Length: 0\r\n\r\n")
        #expect(continued.statusCode == 201 && continued.header("Location") == "/v2/x" && body.isEmpty)
        let (head, headBody) = try read("HTTP/1.1 200 OK\r\nContent-Length: 524288\r\n\r\n", method: "HEAD")
        #expect(head.header("Content-Length") == "524288" && headBody.isEmpty)
    }

    @Test func aLargeBodyArrivesWhole() throws {
        let payload = String(repeating: "0123456789abcdef", count: 20_000)
        let reader = HTTPResponseReader(ScriptedTransport("HTTP/1.1 200 OK\r\nContent-Length: \(payload.utf8.count)\r\n\r\n" + payload, piece: 50_000),
                                        origin: "registry.test")
        let response = try reader.head()
        var received = 0
        try reader.body(of: response, method: "GET") { received += $0.count }
        #expect(received == payload.utf8.count)
    }

    @Test func brokenAnswersAreRefusedWithTheirReason() {
        func failure(_ text: String) -> String {
            do { _ = try read(text); return "" } catch { return (error as? EngineError)?.message ?? "\(error)" }
        }
        #expect(failure("SSH-2.0-OpenSSH_9.2\r\n\r\n").contains("malformed HTTP answer (status line \"SSH-2.0-OpenSSH_9.2\")"))
        #expect(failure("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort").contains("closed the connection 5 bytes before the end"))
        #expect(failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").contains("chunk size \"zz\""))
        #expect(failure("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n").contains("header line"))
        #expect(failure("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n").contains("Content-Length \"-1\""))
        #expect(failure("HTTP/1.1 200 OK\r\nServer: x").contains("closed in the middle of a line"))
    }

    @Test func proxiesComeFromTheEnvironmentWithTheirExceptions() throws {
        let secure = HTTPURL("https://registry.example.com/v2/")!
        let plain = HTTPURL("http://mirror.internal:5000/v2/")!
        let environment = ["HTTPS_PROXY": "http://alice:s%40cret@proxy.corp:3128", "http_proxy": "proxy.corp:8080",
                           "NO_PROXY": "internal, .example.org"]
        let tunnel = try HTTPProxy.for(secure, environment: environment)
        #expect(tunnel?.url == HTTPURL(secure: false, host: "proxy.corp", port: 3128))
        #expect(tunnel?.authorization == "Basic " + "YWxpY2U6c0BjcmV0")   // alice:s@cret
        #expect(try HTTPProxy.for(plain, environment: environment) == nil)                                   // *.internal
        #expect(try HTTPProxy.for(HTTPURL("http://r.example.org/")!, environment: environment) == nil)
        #expect(try HTTPProxy.for(HTTPURL("http://other.example/")!, environment: environment)?.url.port == 8080)
        #expect(try HTTPProxy.for(HTTPURL("https://127.0.0.1:5000/")!, environment: environment) == nil)     // loopback
        #expect(try HTTPProxy.for(secure, environment: ["ALL_PROXY": "http://p:1", "no_proxy": "*"]) == nil)
        #expect(try HTTPProxy.for(secure, environment: ["ALL_PROXY": "http://p:1"])?.url.host == "p")
        #expect(throws: EngineError.self) { try HTTPProxy.for(secure, environment: ["HTTPS_PROXY": "https://p:1"]) }
    }

    @Test func aRegistrysOwnCAIsFoundWhereDockerKeepsIt() throws {
        let directory = "/tmp/sccerts-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try makeDirectories(directory + "/r.example:5000")
        try "x".write(toFile: directory + "/r.example:5000/ca.crt", atomically: true, encoding: .utf8)
        let environment = ["SWIFTCOMPOSE_CERTS_D": directory]
        #expect(RegistryClient.caFile(for: HTTPURL("https://r.example:5000/v2/")!, environment: environment) == directory + "/r.example:5000/ca.crt")
        #expect(RegistryClient.caFile(for: HTTPURL("https://r.example/v2/")!, environment: environment) == nil)
    }
}
