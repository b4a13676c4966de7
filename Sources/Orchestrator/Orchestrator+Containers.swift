import ComposeModel
import Engine
import Foundation
import NetworkServices
import SystemSupport

extension Orchestrator {
    /// Creates one replica of `service`: its network sandbox and endpoints, published
    /// ports, then the container itself, labelled the docker compose way.
    func createContainer(_ service: Service, number: Int, project: Project, networkRecords: [String: NetworkRecord],
                         volumeDirectories: [String: String], existing: [ContainerInfo],
                         oneOff: Bool = false, name overrideName: String? = nil,
                         renewAnonymousVolumes: Bool = false) async throws(OrchestratorError) -> ContainerRecord {
        let name = overrideName ?? ComposeNaming.container(project: project.name, service: service.name, number: number,
                                                           containerName: service.containerName)
        // Anonymous volumes: the service's (`- /data`) and the image's VOLUMEs not mounted otherwise.
        let imageVolumes = ((try? images.resolve(service.image ?? "\(project.name)-\(service.name)"))?.configuration.config.Volumes ?? [:]).keys
            .filter { target in !service.volumes.contains { $0.target == target } }.sorted()
        let anonymousTargets = service.volumes.filter { $0.type == .volume && $0.source == nil }.map(\.target) + imageVolumes
        let anonymous = try anonymousVolumes(anonymousTargets, container: name, project: project.name, renew: renewAnonymousVolumes)
        var spec = try ContainerSpecBuilder.spec(for: service, project: project, name: name, number: number,
                                                 volumes: volumeDirectories.merging(anonymous) { $1 })
        for target in imageVolumes {
            var mount = ContainerSpec.MountSpec(kind: .volume, source: anonymous["anonymous:\(target)"]!, target: target)
            mount.options = ["image-volume"]
            spec.mounts.append(mount)
        }
        spec.mounts += try volumesFrom(service, existing: existing, mounted: Set(spec.mounts.map(\.target)))
        spec.mounts += try SecretFiles.mounts(for: service, project: project, container: name, state: state)
        spec.labels.merge([
            ComposeLabel.project: project.name, ComposeLabel.service: service.name,
            ComposeLabel.containerNumber: String(number), ComposeLabel.configHash: project.containerConfigHash(of: service.name) ?? "",
            ComposeLabel.oneoff: oneOff ? "True" : "False", ComposeLabel.configFiles: project.configFiles.joined(separator: ","),
            ComposeLabel.workingDir: project.workingDirectory, ComposeLabel.version: "swiftcompose",
            ComposeLabel.image: spec.image,
        ]) { $1 }
        let image: ContainerImage
        do { image = try images.containerImage(spec.image) } catch {
            throw OrchestratorError("service \"\(service.name)\": \(error.message)")
        }
        do {
            // Docker's first-use copy: an empty volume takes what the image has at its target.
            for (volume, mount) in zip(service.volumes, spec.mounts) where volume.type == .volume && !volume.noCopy && mount.kind == .volume {
                try await containers.populateVolume(mount.source, from: image, path: volume.target)
            }
            for index in spec.mounts.indices where spec.mounts[index].options == ["image-volume"] {
                spec.mounts[index].options = []
                try await containers.populateVolume(spec.mounts[index].source, from: image, path: spec.mounts[index].target)
            }
            // No container has this name yet: networking recorded for it is the leftover of a
            // create that was killed before the container existed.
            cleanUpNetworking(name)
            try attachNetworks(&spec, service: service, name: name, project: project, networkRecords: networkRecords, existing: existing)
            return try await containers.create(spec, image: image)
        } catch let error as OrchestratorError {
            images.releaseContainerLayer(image.rootfs)
            cleanUpNetworking(name)
            SecretFiles.remove(state: state, container: name)
            throw error
        } catch {
            images.releaseContainerLayer(image.rootfs)
            cleanUpNetworking(name)
            SecretFiles.remove(state: state, container: name)
            throw OrchestratorError("cannot create container \(name) for service \"\(service.name)\": \(error)")
        }
    }

    /// Anonymous volumes get a volume per container and target, named after both so that
    /// a recreated container finds its predecessor's data (docker compose keeps them);
    /// `renew` (`up -V`) starts them empty.
    private func anonymousVolumes(_ targets: [String], container: String, project: String, renew: Bool) throws(OrchestratorError) -> [String: String] {
        var result: [String: String] = [:]
        for target in targets {
            let name = SHA256Hasher.digest(Array("\(container)\(target)".utf8)).dropFirst(7).description
            do {
                if renew, (try? volumes.inspect(name)) != nil { try volumes.remove(name) }
                result["anonymous:\(target)"] = try volumes.create(name, labels: ["com.docker.volume.anonymous": "", ComposeLabel.project: project]).mountpoint
            } catch {
                throw OrchestratorError("cannot create the anonymous volume for \(target): \(error)")
            }
        }
        return result
    }

    /// `volumes_from: [service:NAME[:ro|rw], container:NAME[:ro|rw]]`: the volume and bind
    /// mounts of those containers, at the same targets.
    private func volumesFrom(_ service: Service, existing: [ContainerInfo], mounted: Set<String>) throws(OrchestratorError) -> [ContainerSpec.MountSpec] {
        var result: [ContainerSpec.MountSpec] = []
        var targets = mounted
        for entry in service.volumesFrom {
            var parts = entry.split(separator: ":").map(String.init)
            var readOnly: Bool?
            if let last = parts.last, ["ro", "rw"].contains(last), parts.count > 1 {
                readOnly = last == "ro"
                parts.removeLast()
            }
            let isContainer = parts.first == "container"
            if parts.first == "service" || isContainer { parts.removeFirst() }
            let name = parts.joined(separator: ":")
            let source = isContainer
                ? existing.first { $0.name == name }
                : existing.filter { $0.labels[ComposeLabel.service] == name }.min { $0.name < $1.name }
            guard let source else {
                throw OrchestratorError("service \"\(service.name)\": volumes_from \(entry): no such \(isContainer ? "container" : "service container")")
            }
            for var mount in source.record.spec.mounts where mount.kind != .tmpfs && !targets.contains(mount.target) {
                if let readOnly { mount.readOnly = readOnly }
                targets.insert(mount.target)
                result.append(mount)
            }
        }
        return result
    }

    private func attachNetworks(_ spec: inout ContainerSpec, service: Service, name: String, project: Project,
                                networkRecords: [String: NetworkRecord], existing: [ContainerInfo]) throws {
        if let mode = service.networkMode {
            switch mode {
            case "host", "none":
                spec.networkMode = mode
                return
            default:
                guard mode.hasPrefix("service:") || mode.hasPrefix("container:") else {
                    throw OrchestratorError("service \"\(service.name)\": network_mode \(mode) is not supported")
                }
                let target = String(mode.split(separator: ":", maxSplits: 1)[1])
                let owner = mode.hasPrefix("service:")
                    ? existing.first { $0.labels[ComposeLabel.service] == target && $0.isRunning }?.name
                    : target
                guard let owner else {
                    throw OrchestratorError("service \"\(service.name)\" shares the network of service \"\(target)\", which has no running container")
                }
                spec.networkNamespacePath = networks.sandboxPath(containerID: owner)
                return
            }
        }
        let sandbox = try networks.createSandbox(containerID: name)
        spec.networkNamespacePath = sandbox
        var dnsServers: [String] = []
        var published: [PortBinding] = []
        let attachments = service.networks.sorted(by: { $0.settings.priority > $1.settings.priority })
        // `host-gateway` in extra_hosts is the host as the container reaches it: the gateway
        // of its first network (Docker uses its default bridge's gateway the same way).
        if let first = attachments.first, let gateway = networkRecords[first.name]?.gateway {
            spec.extraHosts = spec.extraHosts.map { entry in
                entry.hasSuffix(":host-gateway") ? String(entry.dropLast("host-gateway".count)) + gateway : entry
            }
        }
        for (key, settings) in attachments {
            guard let record = networkRecords[key] else {
                throw OrchestratorError("service \"\(service.name)\" uses network \(key), which was not created")
            }
            var aliases = [service.name] + settings.aliases
            if let hostname = service.hostname { aliases.append(hostname) }
            let endpoint = try networks.connect(sandbox: sandbox, network: record.id, containerID: name, containerName: name,
                                                aliases: aliases, ipv4Address: settings.ipv4Address, macAddress: settings.macAddress)
            dnsServers.append(endpoint.dnsServer)
            spec.addresses.append(endpoint.ipv4Address)
            spec.aliases += aliases
            if published.isEmpty, let address = IPv4Address(endpoint.ipv4Address) {
                published = try PublishedPorts.bindings(of: service, containerIP: address)
            }
        }
        if spec.dns.isEmpty { spec.dns = Array(dnsServers.prefix(1)) }
        if !published.isEmpty {
            try networks.publish(published, containerID: name)
            spec.publishedPorts = published.map {
                var port = ContainerSpec.PortSpec(containerPort: $0.containerPort)
                port.hostIP = $0.hostIP.description
                port.hostPort = $0.hostPort
                port.proto = $0.transport.rawValue
                return port
            }
        }
    }

    /// Undoes a container's networking: endpoints, sandbox and forwarded ports.
    func cleanUpNetworking(_ name: String, publishedPorts: Bool = true) {
        try? networks.removeSandbox(containerID: name)
        if publishedPorts { try? networks.unpublish(containerID: name) }
    }

    /// Stops and removes a container with everything it had.
    func removeContainer(_ info: ContainerInfo, timeout: Int?, progress: ProgressReporter) async throws(OrchestratorError) {
        progress.event(.container(info.name), .working("Removing"))
        do {
            if info.isRunning { try await containers.stop(info.id, timeout: timeout) }
            try await containers.remove(info.id, force: true)
        } catch {
            progress.event(.container(info.name), .failed("Error"))
            throw OrchestratorError("cannot remove container \(info.name): \(error)")
        }
        cleanUpNetworking(info.name, publishedPorts: !info.record.spec.publishedPorts.isEmpty)
        SecretFiles.remove(state: state, container: info.name)
        progress.event(.container(info.name), .done("Removed"))
    }
}
