/// What `up` must do to one service's containers, decided from the project and the
/// containers found — a pure function, so every decision is unit-tested without root.
public struct ServicePlan: Sendable, Equatable {
    public enum Action: Sendable, Equatable {
        /// Create and start replica `number`.
        case create(number: Int)
        /// Start an existing, stopped container that is up to date.
        case start(id: String, number: Int)
        /// Leave a running, up-to-date container alone.
        case keep(id: String, number: Int)
        /// Replace a container whose configuration or image changed.
        case recreate(id: String, number: Int)
        /// Remove a replica beyond the wanted scale (highest numbers first).
        case remove(id: String, number: Int)
    }

    public var service: String
    public var actions: [Action]
}

/// A container of the project as found in the engine.
public struct ObservedContainer: Sendable, Equatable {
    public var id: String
    public var name: String
    public var service: String
    public var number: Int
    public var configHash: String
    public var imageID: String
    public var running: Bool
    public var oneOff: Bool

    public init(id: String, name: String, service: String, number: Int, configHash: String, imageID: String, running: Bool, oneOff: Bool = false) {
        self.id = id; self.name = name; self.service = service; self.number = number
        self.configHash = configHash; self.imageID = imageID; self.running = running; self.oneOff = oneOff
    }
}

public struct RecreatePolicy: Sendable, Equatable {
    public var force = false
    public var never = false
    public init(force: Bool = false, never: Bool = false) { self.force = force; self.never = never }
}

public enum UpPlanner {
    /// Decides per replica: keep, start, recreate, create; scale down from the top.
    /// `dependencyRecreated` forces recreation (a `restart: true` dependency was recreated).
    public static func plan(service: String, replicas: Int, configHash: String, imageID: String?,
                            existing: [ObservedContainer], policy: RecreatePolicy,
                            dependencyRecreated: Bool = false) -> ServicePlan {
        let mine = existing.filter { $0.service == service && !$0.oneOff }.sorted { $0.number < $1.number }
        var actions: [ServicePlan.Action] = []
        var used = Set<Int>()
        var kept = 0
        for container in mine {
            guard kept < replicas else { break }
            used.insert(container.number)
            kept += 1
            let stale = container.configHash != configHash || (imageID != nil && container.imageID != imageID)
            if policy.force || ((stale || dependencyRecreated) && !policy.never) {
                actions.append(.recreate(id: container.id, number: container.number))
            } else if container.running {
                actions.append(.keep(id: container.id, number: container.number))
            } else {
                actions.append(.start(id: container.id, number: container.number))
            }
        }
        // Scale down: the replicas beyond the wanted number, highest numbers first.
        let surplus = mine.filter { !used.contains($0.number) }.sorted { $0.number > $1.number }
        for container in surplus { actions.append(.remove(id: container.id, number: container.number)) }
        var next = 1
        while kept < replicas {
            while used.contains(next) { next += 1 }
            actions.append(.create(number: next))
            used.insert(next)
            kept += 1
        }
        return ServicePlan(service: service, actions: actions)
    }

    /// Containers of services the project no longer has (one-off `run` containers aside).
    public static func orphans(_ existing: [ObservedContainer], services: Set<String>) -> [ObservedContainer] {
        existing.filter { !services.contains($0.service) && !$0.oneOff }
    }
}
