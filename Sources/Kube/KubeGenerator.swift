import ComposeModel
import Foundation

/// Renders a compose project as Kubernetes manifests: the same file a developer runs with
/// `swiftcompose up` becomes what the cluster runs. Deterministic: the same project gives
/// byte-identical output.
public enum KubeGenerator {
    public struct Output: Sendable {
        /// Each object as (kind, name, YAML), in a stable order.
        public var objects: [(kind: String, name: String, yaml: String)]
        public var warnings: [String]

        /// One multi-document YAML stream.
        public var stream: String { objects.map(\.yaml).joined(separator: "---\n") }
    }

    public static func generate(_ project: Project, _ options: KubeOptions = KubeOptions()) throws -> Output {
        let names = try KubeNames(project: project)
        var selected = Set(options.services.isEmpty ? project.serviceNames : options.services)
        if !options.services.isEmpty { selected = project.dependencyGraph.closure(of: options.services) }
        var objects: [ConfigNode] = []
        var warnings = project.ignoredAttributes.map { "\($0) is not expressed (swarm only)" }
        var claims: [String: String] = [:]
        var needsWaiter = false
        let completionDependencies = Set(project.services.flatMap { service in
            service.dependsOn.filter { $0.dependency.condition == .completedSuccessfully }.map(\.service)
        })
        func metadata(_ name: String, service: String? = nil, annotations: [String: String] = [:]) -> ConfigNode {
            var labels: [(String, ConfigNode)] = [("app.kubernetes.io/part-of", .text(names.project)), ("app.kubernetes.io/managed-by", .text("swiftcompose"))]
            if let service { labels.insert(("app.kubernetes.io/name", .text(names.workload(service))), at: 0) }
            var pairs: [(String, ConfigNode)] = [("name", .text(name)), ("labels", .map(labels))]
            if !annotations.isEmpty { pairs.append(("annotations", .map(annotations.sorted { $0.key < $1.key }.map { ($0.key, .text($0.value)) }))) }
            return .map(pairs)
        }

        for service in project.services where selected.contains(service.name) {
            var builder = PodTemplateBuilder(project: project, service: service, options: options, names: names)
            let name = names.workload(service.name)
            var annotations = service.labels
            annotations["com.docker.compose.project"] = project.name
            annotations["com.docker.compose.service"] = service.name
            let selector = ConfigNode.map([("matchLabels", names.podSelector(service.name))])
            // A one-shot: a service others wait on to complete successfully.
            let oneShot = completionDependencies.contains(service.name)
            if oneShot {
                let template = try builder.podSpec(restartPolicy: service.restart?.hasPrefix("on-failure") == true ? "OnFailure" : "Never")
                objects.append(.map([("apiVersion", .text("batch/v1")), ("kind", .text("Job")), ("metadata", metadata(name, service: service.name, annotations: annotations)),
                                     ("spec", .map([("backoffLimit", .number(service.restart?.hasPrefix("on-failure") == true ? 6 : 0)), ("template", template)]))]))
            } else {
                let template = try builder.podSpec(restartPolicy: nil)
                let stateful = options.volumes == .statefulset && service.replicas == 1 && !builder.claims.isEmpty
                var spec: [(String, ConfigNode)] = [("replicas", .number(service.replicas)), ("selector", selector)]
                if stateful {
                    spec.insert(("serviceName", .text(name)), at: 0)
                    spec.append(("template", template))
                    spec.append(("volumeClaimTemplates", .list(builder.claims.map { claim in
                        .map([("metadata", .map([("name", .text(claim.name))])), ("spec", claimSpec())])
                    })))
                } else {
                    spec.append(("template", template))
                    for claim in builder.claims { claims[claim.name] = claim.volume }
                }
                objects.append(.map([("apiVersion", .text("apps/v1")), ("kind", .text(stateful ? "StatefulSet" : "Deployment")),
                                     ("metadata", metadata(name, service: service.name, annotations: annotations)), ("spec", .map(spec))]))
            }
            if !builder.initContainers().isEmpty { needsWaiter = true }
            warnings += builder.warnings
            objects += services(for: service, names: names, options: options, metadata: metadata)
        }
        for (claim, _) in claims.sorted(by: { $0.key < $1.key }) {
            objects.append(.map([("apiVersion", .text("v1")), ("kind", .text("PersistentVolumeClaim")), ("metadata", metadata(claim)), ("spec", claimSpec())]))
        }
        for (kind, resources) in [("ConfigMap", project.configs), ("Secret", project.secrets)] {
            for resource in resources {
                let content: String
                if let text = resource.content { content = text }
                else if let file = resource.file, let data = FileManager.default.contents(atPath: file) { content = String(decoding: data, as: UTF8.self) }
                else if let variable = resource.environmentVariable, let value = project.environment[variable] { content = value }
                else { throw KubeError("\(kind.lowercased()) \(resource.key) has no content, readable file or set environment variable") }
                let name = kind == "Secret" ? names.secret(resource.key) : names.configMap(resource.key)
                var object: [(String, ConfigNode)] = [("apiVersion", .text("v1")), ("kind", .text(kind)), ("metadata", metadata(name))]
                if kind == "Secret" { object.append(("type", .text("Opaque"))) }
                object.append((kind == "Secret" ? "stringData" : "data", .map([(resource.key, .text(content))])))
                objects.append(.map(object))
            }
        }
        objects += networkPolicies(project, names: names, metadata: metadata)
        if needsWaiter { objects += waiterAccess(names: names, metadata: metadata) }
        let rendered = objects.map { object -> (String, String, String) in
            (object["kind"]?.string ?? "", object["metadata"]?["name"]?.string ?? "", object.yamlText())
        }
        return Output(objects: rendered, warnings: Array(Set(warnings)).sorted())
    }

    static func claimSpec() -> ConfigNode {
        .map([("accessModes", .list([.text("ReadWriteOnce")])), ("resources", .map([("requests", .map([("storage", .text("1Gi"))]))]))])
    }

    /// A Service per compose service, named after it (and one per alias), so that pods reach
    /// each other by the same names as on one host. A service that declares no port gets a
    /// headless Service: its name resolves to the pods, on any port, as on a compose network.
    static func services(for service: Service, names: KubeNames, options: KubeOptions, metadata: (String, String?, [String: String]) -> ConfigNode) -> [ConfigNode] {
        let targets = Set(service.ports.map(\.target) + service.expose.compactMap { Int($0.split(separator: "/").first ?? "") }).sorted()
        let selector = ("selector", names.podSelector(service.name))
        let spec: [(String, ConfigNode)]
        if targets.isEmpty {
            spec = [("clusterIP", .text("None")), selector]
        } else {
            let published = service.ports.filter { $0.published != nil }
            let type = published.isEmpty ? "ClusterIP" : (options.publish == .loadbalancer ? "LoadBalancer" : "NodePort")
            let ports: [ConfigNode] = targets.map { target in
                var port: [(String, ConfigNode)] = [("name", .text("port-\(target)")), ("port", .number(published.first { $0.target == target }.flatMap { Int($0.published!.split(separator: "-").first ?? "") } ?? target)), ("targetPort", .number(target))]
                if let proto = service.ports.first(where: { $0.target == target })?.protocol, proto == "udp" { port.append(("protocol", .text("UDP"))) }
                return .map(port)
            }
            spec = [("type", .text(type)), selector, ("ports", .list(ports))]
        }
        let aliases = Set(service.networks.flatMap(\.settings.aliases).map(KubeName.dns1123)).subtracting([names.workload(service.name)]).sorted()
        return ([names.workload(service.name)] + aliases).map { name in
            .map([("apiVersion", .text("v1")), ("kind", .text("Service")), ("metadata", metadata(name, service.name, [:])), ("spec", .map(spec))])
        }
    }

    /// Compose networks as NetworkPolicies: the project's pods take traffic only from pods
    /// that share a network with them; `internal: true` networks send nowhere else.
    static func networkPolicies(_ project: Project, names: KubeNames, metadata: (String, String?, [String: String]) -> ConfigNode) -> [ConfigNode] {
        var result: [ConfigNode] = [.map([
            ("apiVersion", .text("networking.k8s.io/v1")), ("kind", .text("NetworkPolicy")), ("metadata", metadata("\(names.project)-default-deny", nil, [:])),
            ("spec", .map([("podSelector", .map([("matchLabels", .map([("app.kubernetes.io/part-of", .text(names.project))]))])),
                           ("policyTypes", .list([.text("Ingress")]))])),
        ])]
        for network in project.networks {
            let label = KubeNames.networkLabel(network.key)
            let members = ConfigNode.map([("matchLabels", .map([(label, .text("true"))]))])
            var spec: [(String, ConfigNode)] = [("podSelector", members), ("policyTypes", .list([.text("Ingress")] + (network.isInternal ? [.text("Egress")] : []))),
                                               ("ingress", .list([.map([("from", .list([.map([("podSelector", members)])]))])]))]
            if network.isInternal {
                spec.append(("egress", .list([
                    .map([("to", .list([.map([("podSelector", members)])]))]),
                    .map([("ports", .list([.map([("port", .number(53)), ("protocol", .text("UDP"))]), .map([("port", .number(53)), ("protocol", .text("TCP"))])]))]),
                ])))
            }
            result.append(.map([("apiVersion", .text("networking.k8s.io/v1")), ("kind", .text("NetworkPolicy")),
                                ("metadata", metadata(KubeName.dns1123("\(names.project)-network-\(network.key)"), nil, [:])), ("spec", .map(spec))]))
        }
        return result
    }

    /// The init containers wait through the API: a service account allowed to read pods and jobs.
    static func waiterAccess(names: KubeNames, metadata: (String, String?, [String: String]) -> ConfigNode) -> [ConfigNode] {
        let account = names.waiterAccount
        return [
            .map([("apiVersion", .text("v1")), ("kind", .text("ServiceAccount")), ("metadata", metadata(account, nil, [:]))]),
            .map([("apiVersion", .text("rbac.authorization.k8s.io/v1")), ("kind", .text("Role")), ("metadata", metadata(account, nil, [:])),
                  ("rules", .list([.map([("apiGroups", .list([.text(""), .text("batch")])), ("resources", .list([.text("pods"), .text("jobs")])),
                                         ("verbs", .list([.text("get"), .text("list"), .text("watch")]))])]))]),
            .map([("apiVersion", .text("rbac.authorization.k8s.io/v1")), ("kind", .text("RoleBinding")), ("metadata", metadata(account, nil, [:])),
                  ("subjects", .list([.map([("kind", .text("ServiceAccount")), ("name", .text(account))])])),
                  ("roleRef", .map([("apiGroup", .text("rbac.authorization.k8s.io")), ("kind", .text("Role")), ("name", .text(account))]))]),
        ]
    }
}
