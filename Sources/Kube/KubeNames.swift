import ComposeModel

/// The names of a project's objects, DNS-1123 and checked for collisions.
struct KubeNames {
    let project: String
    private var workloads: [String: String] = [:]

    init(project: Project) throws {
        self.project = KubeName.dns1123(project.name)
        var taken: [String: String] = [:]
        for service in project.serviceNames {
            let name = KubeName.dns1123(service)
            if let other = taken[name] {
                throw KubeError("services \"\(other)\" and \"\(service)\" both become \"\(name)\" as Kubernetes names; rename one")
            }
            taken[name] = service
            workloads[service] = name
        }
    }

    func workload(_ service: String) -> String { workloads[service] ?? KubeName.dns1123(service) }
    func claim(_ volume: String) -> String { KubeName.dns1123(volume) }
    func configMap(_ config: String) -> String { KubeName.dns1123("\(project)-config-\(config)") }
    func secret(_ secret: String) -> String { KubeName.dns1123("\(project)-secret-\(secret)") }
    var waiterAccount: String { KubeName.dns1123("\(project)-waiter") }

    /// The labels that pick a service's pods (workload selectors and Services alike).
    func podSelector(_ service: String) -> ConfigNode {
        .map([("app.kubernetes.io/name", .text(workload(service))), ("app.kubernetes.io/part-of", .text(project))])
    }

    static func networkLabel(_ network: String) -> String {
        "network.swiftcompose.dev/" + KubeName.dns1123(network)
    }
}

