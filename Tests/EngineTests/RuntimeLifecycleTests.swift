import Foundation
import Monitor
import Testing
@testable import Engine

@Suite("RuntimeLifecycle", .serialized)
struct RuntimeLifecycleTests {
    @Test func echoRunsAsPidOneWithItsOwnHostname() async throws {
        let bed = try RuntimeTestBed()
        defer { Task { await bed.cleanUp() } }
        var spec = ContainerSpec(image: "busybox", command: ["sh", "-c", "echo pid=$$; hostname; echo oops >&2; exit 3"])
        spec.hostname = "box1"
        let result = try await bed.run(spec)
        #expect(result.code == 3)
        #expect(result.out == "pid=1\nbox1\n")
        #expect(result.err == "oops\n")
        let info = try await bed.service.inspect(result.id)
        #expect(info.status == .exited)
        #expect(info.run.exitCode == 3)
    }
}
