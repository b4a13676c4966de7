import Foundation
import SystemSupport
@testable import Engine

/// A fresh state root under /tmp and a network manager on it; `cleanUp` removes every
/// network and sandbox the test made, even when the test failed halfway.
final class NetworkTestBed {
    let directory: String
    let manager: NetworkManager
    let tag: String
    private var sandboxes: [String] = []

    init() throws {
        tag = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        directory = "/tmp/swiftcompose-nettest-\(getpid())-\(tag)"
        try makeDirectories(directory)
        manager = NetworkManager(state: StateRoot(root: directory + "/root", run: directory + "/run"))
    }

    /// A unique name for this test run.
    func name(_ base: String) -> String { "\(base)-\(tag)" }

    func sandbox(_ name: String) throws -> String {
        sandboxes.append(name)
        return try manager.createSandbox(containerID: name)
    }

    func cleanUp() {
        for id in sandboxes { try? manager.removeSandbox(containerID: id) }
        for record in (try? manager.list()) ?? [] {
            for id in record.endpoints.keys { try? manager.disconnect(network: record.id, containerID: id) }
            try? manager.remove(record.id)
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

struct CommandResult {
    let status: Int32
    let output: String
}

/// Runs a host command with a time limit; output is stdout and stderr together.
@discardableResult
func runCommand(_ arguments: [String], timeout: Int = 10, input: String? = nil) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
    process.arguments = ["-s", "KILL", String(timeout)] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    let inputPipe = Pipe()
    process.standardInput = input == nil ? FileHandle.nullDevice : inputPipe
    try process.run()
    if let input {
        inputPipe.fileHandleForWriting.write(Data(input.utf8))
        try inputPipe.fileHandleForWriting.close()
    }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
}

/// Runs busybox inside a pinned network namespace.
@discardableResult
func inSandbox(_ path: String, _ arguments: [String], timeout: Int = 10) throws -> CommandResult {
    try runCommand(["nsenter", "--net=\(path)", "busybox"] + arguments, timeout: timeout)
}

/// True when a ping from the namespace gets an answer.
func canPing(from sandbox: String, _ address: String) throws -> Bool {
    try inSandbox(sandbox, ["ping", "-c", "1", "-W", "1", address], timeout: 5).status == 0
}

var runningAsRoot: Bool { getuid() == 0 }

/// Whether `pid` is a live swiftcompose-netd (not a zombie, not a recycled pid).
func isRunningNameServer(_ pid: pid_t) -> Bool {
    guard let command = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8),
          command.contains("swiftcompose-netd"),
          let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    return stat[stat.index(close, offsetBy: 2)] != "Z"
}
