import ComposeModel
import Engine
import Foundation
import NetworkServices
import SystemSupport

/// Runs compose projects on the engine: observes what exists (one scan of the engine's
/// containers and networks, found by their compose labels), decides what to change, and
/// acts in dependency order with independent services in parallel.
public struct Orchestrator: Sendable {
    public let state: StateRoot
    public let containers: ContainerService
    public let networks: NetworkManager
    public let images: ImageStore
    public let volumes: VolumeStore

    public init(state: StateRoot) {
        self.state = state
        containers = ContainerService(state: state)
        networks = NetworkManager(state: state)
        images = ImageStore(state: state)
        volumes = VolumeStore(state: state)
    }

    // MARK: observing

    /// The project's containers, from one scan of the engine.
    public func observe(project: String) async throws(OrchestratorError) -> [ContainerInfo] {
        do {
            return try await containers.list(all: true).filter { $0.labels[ComposeLabel.project] == project }
        } catch {
            throw OrchestratorError("cannot list containers: \(error)")
        }
    }

    static func observed(_ info: ContainerInfo) -> ObservedContainer? {
        guard let service = info.labels[ComposeLabel.service] else { return nil }
        return ObservedContainer(id: info.id, name: info.name, service: service,
                                 number: Int(info.labels[ComposeLabel.containerNumber] ?? "") ?? 1,
                                 configHash: info.labels[ComposeLabel.configHash] ?? "", imageID: info.record.imageID,
                                 running: info.isRunning, oneOff: info.labels[ComposeLabel.oneoff] == "True")
    }

    /// Holds the project's lock for the duration of `body`: two commands on one project
    /// never interleave their changes. The lock dies with its holder (flock).
    func withProjectLock<T>(_ project: String, _ body: () async throws(OrchestratorError) -> T) async throws(OrchestratorError) -> T {
        let directory = state.runPath("projects")
        let lock: FileLock
        do {
            try makeDirectories(directory)
            lock = try FileLock(exclusive: directory + "/\(project).lock")
        } catch {
            throw OrchestratorError("cannot lock project \(project): \(error)")
        }
        let result = try await body()
        withExtendedLifetime(lock) {}
        return result
    }

    // MARK: networks and volumes

    /// The project's networks, created when missing; a network of another project, or
    /// with a different configuration, is an error as in docker compose.
    func ensureNetworks(_ project: Project, progress: ProgressReporter) throws(OrchestratorError) -> [String: NetworkRecord] {
        var result: [String: NetworkRecord] = [:]
        let existing: [NetworkRecord]
        do { existing = try networks.list() } catch { throw OrchestratorError("cannot list networks: \(error)") }
        for network in project.networks {
            if let record = existing.first(where: { $0.name == network.name }) {
                if network.external {
                    result[network.key] = record
                    continue
                }
                if let owner = record.labels[ComposeLabel.project], owner != project.name {
                    throw OrchestratorError("network \(network.name) was found but belongs to project \"\(owner)\"; remove it or give this network another name")
                }
                if record.labels[ComposeLabel.network] != nil || record.labels[ComposeLabel.project] == nil {
                    result[network.key] = record
                    continue
                }
            }
            if network.external {
                throw OrchestratorError("network \(network.name) declared as external, but could not be found; create it with `swiftcompose network create \(network.name)`")
            }
            let pool = network.ipamPools.first
            var configuration = NetworkConfiguration(
                name: network.name, driver: network.driver ?? "bridge", subnet: pool?.subnet, gateway: pool?.gateway,
                ipRange: pool?.ipRange, isInternal: network.isInternal, labels: network.labels.merging([
                    ComposeLabel.project: project.name, ComposeLabel.network: network.key,
                ]) { $1 }, options: network.driverOptions)
            configuration.isAttachable = false
            progress.event(.network(network.name), .working("Creating"))
            do {
                result[network.key] = try networks.create(configuration)
            } catch {
                throw OrchestratorError("cannot create network \(network.name): \(error)")
            }
            progress.event(.network(network.name), .done("Created"))
        }
        return result
    }

    /// Named volumes (created when missing; external ones must exist).
    func ensureVolumes(_ project: Project, progress: ProgressReporter) throws(OrchestratorError) -> [String: String] {
        var result: [String: String] = [:]
        for volume in project.volumes {
            if let record = try? volumes.inspect(volume.name) {
                if !volume.external, let owner = record.labels[ComposeLabel.project], owner != project.name {
                    throw OrchestratorError("volume \(volume.name) already exists but belongs to project \"\(owner)\"")
                }
                do { try volumes.mountIfNeeded(record) } catch { throw OrchestratorError(error.message) }
                result[volume.key] = record.mountpoint
                continue
            }
            if volume.external {
                throw OrchestratorError("external volume \"\(volume.name)\" not found; create it with `swiftcompose volume create \(volume.name)`")
            }
            progress.event(.volume(volume.name), .working("Creating"))
            do {
                let record = try volumes.create(volume.name, labels: volume.labels.merging([
                    ComposeLabel.project: project.name, ComposeLabel.volume: volume.key,
                ]) { $1 }, options: volume.driverOptions)
                result[volume.key] = record.mountpoint
            } catch {
                throw OrchestratorError("cannot create volume \(volume.name): \(error)")
            }
            progress.event(.volume(volume.name), .done("Created"))
        }
        return result
    }
}
