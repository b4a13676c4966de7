import ComposeModel
import Foundation

/// One compose service as the pod template a cluster operator would write by hand.
struct PodTemplateBuilder {
    let project: Project
    let service: Service
    let options: KubeOptions
    let names: KubeNames
    var warnings: [String] = []
    /// Claims, ConfigMaps and Secrets the pod mounts (the generator checks they exist).
    var claims: [(name: String, volume: String)] = []

    init(project: Project, service: Service, options: KubeOptions, names: KubeNames) {
        self.project = project
        self.service = service
        self.options = options
        self.names = names
    }

    var labels: [(String, ConfigNode)] {
        var result: [(String, ConfigNode)] = [
            ("app.kubernetes.io/name", .text(names.workload(service.name))),
            ("app.kubernetes.io/part-of", .text(names.project)),
            ("app.kubernetes.io/managed-by", .text("swiftcompose")),
        ]
        for network in service.networks.map(\.name) {
            result.append((KubeNames.networkLabel(network), .text("true")))
        }
        return result
    }

    mutating func podSpec(restartPolicy: String?) throws -> ConfigNode {
        var volumes: [ConfigNode] = []
        var mounts: [ConfigNode] = []
        for (index, volume) in service.volumes.enumerated() {
            let volumeName = "vol-\(index)"
            var mount: [(String, ConfigNode)] = [("name", .text(volumeName)), ("mountPath", .text(volume.target))]
            if volume.readOnly { mount.append(("readOnly", .bool(true))) }
            switch volume.type {
            case .bind:
                guard options.allowHostPath else {
                    throw KubeError("service \"\(service.name)\" bind-mounts \(volume.source ?? "") from the host: a cluster has no such path; use a named volume or a config, or pass --allow-hostpath")
                }
                volumes.append(.map([("name", .text(volumeName)), ("hostPath", .map([("path", .text(volume.source ?? "/"))]))]))
            case .volume where volume.source != nil && options.volumes != .emptydir:
                let claim = names.claim(volume.source!)
                claims.append((claim, volume.source!))
                if options.volumes == .statefulset && service.replicas == 1 {
                    mount[0] = ("name", .text(claim))
                } else {
                    volumes.append(.map([("name", .text(volumeName)), ("persistentVolumeClaim", .map([("claimName", .text(claim))]))]))
                }
            case .tmpfs:
                volumes.append(.map([("name", .text(volumeName)), ("emptyDir", .map([("medium", .text("Memory"))]))]))
            default:
                volumes.append(.map([("name", .text(volumeName)), ("emptyDir", .map([]))]))
            }
            mounts.append(.map(mount))
        }
        for (index, path) in service.tmpfs.enumerated() {
            let volumeName = "tmpfs-\(index)"
            volumes.append(.map([("name", .text(volumeName)), ("emptyDir", .map([("medium", .text("Memory"))]))]))
            mounts.append(.map([("name", .text(volumeName)), ("mountPath", .text(String(path.split(separator: ":").first ?? "")))]))
        }
        for (kind, fileMounts) in [("secret", service.secrets), ("config", service.configs)] {
            for (index, file) in fileMounts.enumerated() {
                let volumeName = "\(kind)-\(index)"
                let target = file.target.map { $0.hasPrefix("/") ? $0 : (kind == "secret" ? "/run/secrets/\($0)" : "/\($0)") }
                    ?? (kind == "secret" ? "/run/secrets/\(file.source)" : "/\(file.source)")
                var source: [(String, ConfigNode)] = [
                    kind == "secret" ? ("secretName", .text(names.secret(file.source))) : ("name", .text(names.configMap(file.source))),
                    ("items", .list([.map([("key", .text(file.source)), ("path", .text(file.source))])])),
                ]
                if let mode = file.mode { source.append(("defaultMode", .number(mode))) }
                volumes.append(.map([("name", .text(volumeName)), (kind == "secret" ? "secret" : "configMap", .map(source))]))
                mounts.append(.map([("name", .text(volumeName)), ("mountPath", .text(target)), ("subPath", .text(file.source)), ("readOnly", .bool(true))]))
            }
        }

        var container: [(String, ConfigNode)] = [("name", .text(names.workload(service.name)))]
        guard let image = service.image else {
            throw KubeError("service \"\(service.name)\" is built from a Dockerfile and has no image a registry can serve: push it, then set image:")
        }
        container.append(("image", .text(image)))
        if let entrypoint = service.entrypoint { container.append(("command", .list(entrypoint.map { .text($0) }))) }
        if let command = service.command { container.append(("args", .list(command.map { .text($0) }))) }
        if let workingDir = service.workingDir { container.append(("workingDir", .text(workingDir))) }
        let environment = service.environment.compactMap { entry in entry.value.map { ConfigNode.map([("name", .text(entry.key)), ("value", .text($0))]) } }
        if !environment.isEmpty { container.append(("env", .list(environment))) }
        let ports = Set(service.ports.map(\.target) + service.expose.compactMap { Int($0.split(separator: "/").first ?? "") }).sorted()
        if !ports.isEmpty {
            container.append(("ports", .list(ports.map { .map([("containerPort", .number($0))]) })))
        }
        if service.tty { container.append(("tty", .bool(true))) }
        if service.stdinOpen { container.append(("stdin", .bool(true))) }
        var security: [(String, ConfigNode)] = []
        if service.privileged { security.append(("privileged", .bool(true))) }
        if service.readOnly { security.append(("readOnlyRootFilesystem", .bool(true))) }
        if !service.capAdd.isEmpty || !service.capDrop.isEmpty {
            var capabilities: [(String, ConfigNode)] = []
            if !service.capAdd.isEmpty { capabilities.append(("add", .list(service.capAdd.map { .text($0.replacingOccurrences(of: "CAP_", with: "")) }))) }
            if !service.capDrop.isEmpty { capabilities.append(("drop", .list(service.capDrop.map { .text($0.replacingOccurrences(of: "CAP_", with: "")) }))) }
            security.append(("capabilities", .map(capabilities)))
        }
        if let user = service.user {
            let parts = user.split(separator: ":").map(String.init)
            if let uid = Int(parts[0]) { security.append(("runAsUser", .number(uid))) } else { warnings.append("service \(service.name): user \"\(user)\" is a name; Kubernetes needs a numeric uid") }
            if parts.count > 1, let gid = Int(parts[1]) { security.append(("runAsGroup", .number(gid))) }
        }
        if !security.isEmpty { container.append(("securityContext", .map(security))) }
        var limits: [(String, ConfigNode)] = []
        if let cpus = service.cpus { limits.append(("cpu", .text("\(Int(cpus * 1000))m"))) }
        if let memory = service.memoryLimit { limits.append(("memory", .text(String(memory)))) }
        var requests: [(String, ConfigNode)] = []
        if let memory = service.memoryReservation { requests.append(("memory", .text(String(memory)))) }
        if let cpus = service.node["deploy"]?["resources"]?["reservations"]?["cpus"], case .double(let value) = cpus.kind {
            requests.append(("cpu", .text("\(Int(value * 1000))m")))
        }
        if !limits.isEmpty || !requests.isEmpty {
            var resources: [(String, ConfigNode)] = []
            if !limits.isEmpty { resources.append(("limits", .map(limits))) }
            if !requests.isEmpty { resources.append(("requests", .map(requests))) }
            container.append(("resources", .map(resources)))
        }
        if let probe = probe() {
            container.append(("readinessProbe", probe))
            container.append(("livenessProbe", probe))
        }
        if !mounts.isEmpty { container.append(("volumeMounts", .list(mounts))) }

        var spec: [(String, ConfigNode)] = []
        let waits = initContainers()
        if !waits.isEmpty {
            spec.append(("serviceAccountName", .text(names.waiterAccount)))
            spec.append(("initContainers", .list(waits)))
        }
        spec.append(("containers", .list([.map(container)])))
        if let restartPolicy { spec.append(("restartPolicy", .text(restartPolicy))) }
        if let hostname = service.hostname { spec.append(("hostname", .text(KubeName.dns1123(hostname)))) }
        let aliases = Dictionary(grouping: service.extraHosts.filter { $0.address != "host-gateway" }, by: \.address)
        if !aliases.isEmpty {
            spec.append(("hostAliases", .list(aliases.keys.sorted().map { address in
                .map([("ip", .text(address)), ("hostnames", .list(aliases[address]!.map { .text($0.host) }))])
            })))
        }
        if let grace = service.stopGracePeriodNanoseconds {
            spec.append(("terminationGracePeriodSeconds", .number(Int((grace + 999_999_999) / 1_000_000_000))))
        }
        var podSecurity: [(String, ConfigNode)] = []
        let groups = service.groupAdd.compactMap { Int($0) }
        if !groups.isEmpty { podSecurity.append(("supplementalGroups", .list(groups.map { .number($0) }))) }
        if groups.count != service.groupAdd.count {
            warnings.append("service \(service.name): group_add names (not gids) cannot be expressed")
        }
        if !service.sysctls.isEmpty {
            podSecurity.append(("sysctls", .list(service.sysctls.sorted { $0.key < $1.key }.map {
                .map([("name", .text($0.key)), ("value", .text($0.value))])
            })))
        }
        if !podSecurity.isEmpty { spec.append(("securityContext", .map(podSecurity))) }
        if !volumes.isEmpty { spec.append(("volumes", .list(volumes))) }
        noteUnsupported()
        return .map([("metadata", .map([("labels", .map(labels))])), ("spec", .map(spec))])
    }

    /// Healthcheck → an exec probe with the same timing.
    func probe() -> ConfigNode? {
        guard let health = service.healthcheck, !health.disable, let test = health.test, let kind = test.first else { return nil }
        let command: [String]
        switch kind {
        case "CMD": command = Array(test.dropFirst())
        case "CMD-SHELL": command = ["/bin/sh", "-c", test.dropFirst().joined(separator: " ")]
        default: return nil
        }
        var probe: [(String, ConfigNode)] = [("exec", .map([("command", .list(command.map { .text($0) }))]))]
        let seconds = { (ns: Int64?) in ns.map { max(1, Int(($0 + 999_999_999) / 1_000_000_000)) } }
        if let value = seconds(health.startPeriodNanoseconds) { probe.append(("initialDelaySeconds", .number(value))) }
        if let value = seconds(health.intervalNanoseconds) { probe.append(("periodSeconds", .number(value))) }
        if let value = seconds(health.timeoutNanoseconds) { probe.append(("timeoutSeconds", .number(value))) }
        if let retries = health.retries { probe.append(("failureThreshold", .number(retries))) }
        return .map(probe)
    }

    /// `depends_on` with service_healthy / service_completed_successfully → init containers
    /// that wait for the dependency (a ready pod, or a complete Job) through the API.
    func initContainers() -> [ConfigNode] {
        var result: [ConfigNode] = []
        for (dependency, condition) in service.dependsOn {
            let command: String
            switch condition.condition {
            case .healthy:
                command = "kubectl wait --for=condition=ready pod -l app.kubernetes.io/name=\(names.workload(dependency)),app.kubernetes.io/part-of=\(names.project) --timeout=600s"
            case .completedSuccessfully:
                command = "kubectl wait --for=condition=complete job/\(names.workload(dependency)) --timeout=600s"
            case .started:
                continue
            }
            result.append(.map([
                ("name", .text(KubeName.dns1123("wait-for-\(dependency)"))),
                ("image", .text("bitnami/kubectl:latest")),
                ("command", .list([.text("/bin/sh"), .text("-c"), .text("until \(command); do sleep 2; done")])),
            ]))
        }
        return result
    }

    mutating func noteUnsupported() {
        if let mode = service.networkMode { warnings.append("service \(service.name): network_mode \(mode) has no Kubernetes equivalent; the pod uses the cluster network") }
        if service.pid == "host" { warnings.append("service \(service.name): pid: host is not expressed") }
        if !service.devices.isEmpty { warnings.append("service \(service.name): devices are not expressed") }
        if service.initProcess == true { warnings.append("service \(service.name): init: true has no Kubernetes equivalent (use an image with an init)") }
    }
}
