import CRuntime
import FoundationEssentials
import Glibc
import Monitor
import SystemSupport

/// Resource usage of a running container, from its cgroup.
public struct ContainerStats: Sendable, Equatable {
    public var memoryUsage: Int64
    public var memoryLimit: Int64?
    public var cpuNanoseconds: Int64
    public var pids: Int
}

/// A process inside a container, for `top`.
public struct ContainerProcess: Sendable, Equatable {
    public var pid: Int32
    public var ppid: Int32
    public var uid: UInt32
    public var command: String
}

extension ContainerService {
    public func pause(_ reference: String) async throws(EngineError) {
        let record = try store.resolve(reference)
        let current = try info(record)
        guard current.status == .running else {
            throw EngineError(.conflict, "container \(record.name) is not running" + (current.status == .paused ? " (already paused)" : ""))
        }
        try cgroups(record.id).freeze(true)
    }

    public func unpause(_ reference: String) async throws(EngineError) {
        let record = try store.resolve(reference)
        guard try info(record).status == .paused else { throw EngineError(.conflict, "container \(record.name) is not paused") }
        try cgroups(record.id).freeze(false)
    }

    public func stats(_ reference: String) async throws(EngineError) -> ContainerStats {
        let record = try store.resolve(reference)
        guard try info(record).isRunning else { throw EngineError(.conflict, "container \(record.name) is not running") }
        return cgroups(record.id).stats()
    }

    public func top(_ reference: String) async throws(EngineError) -> [ContainerProcess] {
        let record = try store.resolve(reference)
        guard try info(record).isRunning else { throw EngineError(.conflict, "container \(record.name) is not running") }
        return cgroups(record.id).processes().compactMap(ProcessTable.describe).sorted { $0.pid < $1.pid }
    }

    public func rename(_ reference: String, to name: String) async throws(EngineError) {
        guard ContainerNames.isValid(name) else {
            throw EngineError(.invalidArgument, "invalid container name \"\(name)\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
        }
        try store.locked { () throws(EngineError) in
            try store.indexNames()
            var record = try store.resolve(reference)
            if let clash = store.holder(ofName: name), clash.id != record.id {
                throw EngineError(.conflict, "the container name \"/\(name)\" is already in use by container \"\(clash.id)\"")
            }
            let oldName = record.name
            try store.claim(name: name, for: record.id)
            record.name = name
            do throws(EngineError) {
                try store.write(record)
            } catch {
                store.release(name: name, of: record.id)
                throw error
            }
            if oldName != name { store.release(name: oldName, of: record.id) }
        }
    }

    /// Changes resource limits (applied at once when running) and the restart policy (from the next start).
    public func update(_ reference: String, resources: ContainerSpec.Resources? = nil,
                       restartPolicy: ContainerSpec.RestartPolicy? = nil) async throws(EngineError) {
        try store.locked { () throws(EngineError) in
            var record = try store.resolve(reference)
            if let resources {
                var merged = record.spec.resources
                merged.memory = resources.memory ?? merged.memory
                merged.memorySwap = resources.memorySwap ?? merged.memorySwap
                merged.memoryReservation = resources.memoryReservation ?? merged.memoryReservation
                merged.nanoCPUs = resources.nanoCPUs ?? merged.nanoCPUs
                merged.cpuShares = resources.cpuShares ?? merged.cpuShares
                merged.cpusetCPUs = resources.cpusetCPUs ?? merged.cpusetCPUs
                merged.cpusetMems = resources.cpusetMems ?? merged.cpusetMems
                merged.pidsLimit = resources.pidsLimit ?? merged.pidsLimit
                if try info(record).isRunning { try cgroups(record.id).applyLimits(resources) }
                record.spec.resources = merged
            }
            if let restartPolicy { record.spec.restartPolicy = restartPolicy }
            try store.write(record)
        }
    }

    /// Removes every stopped container (optionally only those with all `labels`); returns their ids.
    public func prune(labels: [String: String] = [:]) async throws(EngineError) -> [String] {
        var removed: [String] = []
        for item in try await list(all: true) where !item.isRunning && item.status != .restarting {
            guard labels.allSatisfy({ item.labels[$0.key] == $0.value || ($0.value.isEmpty && item.labels[$0.key] != nil) }) else { continue }
            try await remove(item.id)
            removed.append(item.id)
        }
        removeLeftoversOfKilledMonitors()
        return removed
    }

    /// A monitor removing a --rm container renames its directory, name entry and writable
    /// layer to `.removing-*` before deleting them; one killed in between leaves them there.
    /// (Deleting one another monitor is still at is harmless: both just delete.)
    func removeLeftoversOfKilledMonitors() {
        for parent in [ContainerPaths.containersDirectory(state), store.namesDirectory, ImageStore(state: state).directory + "/rw"] {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] where name.hasPrefix(".removing-") {
                _ = cr_remove_tree(parent + "/" + name)
            }
        }
    }
}

enum ProcessTable {
    static func describe(_ pid: Int32) -> ContainerProcess? {
        guard let stat = (try? AtomicFile.read("/proc/\(pid)/stat")) ?? nil,
              let status = (try? AtomicFile.read("/proc/\(pid)/status")) ?? nil else { return nil }
        let statText = String(decoding: stat, as: UTF8.self)
        guard let close = statText.lastIndex(of: ")") else { return nil }
        let fields = statText[statText.index(close, offsetBy: 2)...].split(separator: " ")
        let uid = String(decoding: status, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("Uid:") }?
            .split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.flatMap { UInt32($0) } ?? 0
        let cmdline = ((try? AtomicFile.read("/proc/\(pid)/cmdline")) ?? nil) ?? []
        var command = String(decoding: cmdline.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).trimmed(of: " ")
        if command.isEmpty, let open = statText.firstIndex(of: "(") {
            command = "[" + statText[statText.index(after: open)..<close] + "]"
        }
        return ContainerProcess(pid: pid, ppid: fields.count > 1 ? Int32(fields[1]) ?? 0 : 0, uid: uid, command: command)
    }
}
