import EngineTestSupport
import Foundation
import Monitor
import SystemSupport
@testable import Engine

/// A fresh state root under /tmp, a container service on it, and a busybox rootfs;
/// `cleanUp` force-removes every container the test made and deletes the directory.
final class RuntimeTestBed: @unchecked Sendable {
    let directory: String
    let service: ContainerService
    let state: StateRoot

    init() throws {
        directory = "/tmp/scrt-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        try makeDirectories(directory)
        state = StateRoot(root: directory + "/root", run: directory + "/run")
        service = ContainerService(state: state)
    }

    /// busybox-static from the image store (imported once per test bed); every call gives
    /// a fresh writable layer, as a new container gets.
    func busybox() throws -> ContainerImage {
        let store = ImageStore(state: state)
        if (try? store.resolve(BusyboxImage.reference)) == nil { try BusyboxImage.make(in: store) }
        return try store.containerImage(BusyboxImage.reference)
    }

    /// The writable (upper) directory of an image handed out by `busybox()`.
    func upper(_ image: ContainerImage) throws -> String {
        guard case .overlay(_, let upper, _) = image.rootfs else { throw EngineError(.invalidArgument, "not an overlay rootfs") }
        return upper
    }

    /// A --rm container of busybox running `script`: its spec, its image and the directory
    /// of its writable layer (which must be gone once the container is).
    func autoRemoving(_ script: String) throws -> (spec: ContainerSpec, image: ContainerImage, layer: String) {
        let image = try busybox()
        var spec = ContainerSpec(image: "busybox", command: ["sh", "-c", script])
        spec.autoRemove = true
        return (spec, image, (try upper(image) as NSString).deletingLastPathComponent)
    }

    /// Creates and runs a container attached; returns (exit code, stdout, stderr).
    func run(_ spec: ContainerSpec, image: ContainerImage? = nil) async throws -> (code: Int32, out: String, err: String, id: String) {
        let record = try await service.create(spec, image: image ?? busybox())
        let session = try await service.startAttached(record.id)
        let (code, out, err) = collect(session)
        return (code, out, err, record.id)
    }

    func collect(_ session: AttachSession) -> (Int32, String, String) {
        var out: [UInt8] = [], err: [UInt8] = []
        var code: Int32 = -1
        while let event = session.next() {
            switch event {
            case .output(let isErr, let bytes): if isErr { err += bytes } else { out += bytes }
            case .failed(let c, let message): code = c; err += Array(message.utf8)
            case .exited(let c): code = c
            case .started: break
            }
        }
        return (code, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    func cleanUp() async {
        for info in (try? await service.list(all: true)) ?? [] {
            try? await service.remove(info.id, force: true)
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Waits (bounded) until `condition` holds.
func eventually(_ seconds: Double = 10, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(nanoseconds: 50_000_000)
    }
    return try await condition()
}

/// Runs `body` on a fresh test bed and removes everything it made, also when it fails.
func withRuntimeBed(_ body: (RuntimeTestBed) async throws -> Void) async throws {
    let bed = try RuntimeTestBed()
    do { try await body(bed) } catch {
        await bed.cleanUp()
        throw error
    }
    await bed.cleanUp()
}
