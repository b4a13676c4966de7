import Testing
@testable import Orchestrator

@Suite struct UpPlannerTests {
    func container(_ number: Int, hash: String = "h1", image: String = "i1", running: Bool = true, service: String = "web") -> ObservedContainer {
        ObservedContainer(id: "\(service)\(number)", name: "p-\(service)-\(number)", service: service, number: number,
                          configHash: hash, imageID: image, running: running)
    }

    @Test func createsMissingReplicasWithTheLowestFreeNumbers() {
        let plan = UpPlanner.plan(service: "web", replicas: 3, configHash: "h1", imageID: "i1", existing: [container(2)], policy: RecreatePolicy())
        #expect(plan.actions == [.keep(id: "web2", number: 2), .create(number: 1), .create(number: 3)])
    }

    @Test func keepsStartsAndRecreatesByHashAndImage() {
        let existing = [container(1), container(2, running: false), container(3, hash: "old"), container(4, image: "i0")]
        let plan = UpPlanner.plan(service: "web", replicas: 4, configHash: "h1", imageID: "i1", existing: existing, policy: RecreatePolicy())
        #expect(plan.actions == [.keep(id: "web1", number: 1), .start(id: "web2", number: 2),
                                 .recreate(id: "web3", number: 3), .recreate(id: "web4", number: 4)])
    }

    @Test func scalesDownFromTheHighestNumber() {
        let existing = [container(1), container(2), container(3)]
        let plan = UpPlanner.plan(service: "web", replicas: 1, configHash: "h1", imageID: "i1", existing: existing, policy: RecreatePolicy())
        #expect(plan.actions == [.keep(id: "web1", number: 1), .remove(id: "web3", number: 3), .remove(id: "web2", number: 2)])
    }

    @Test func forceAndNoRecreateAndDependencyRecreated() {
        let stale = [container(1, hash: "old")]
        #expect(UpPlanner.plan(service: "web", replicas: 1, configHash: "h1", imageID: "i1", existing: stale, policy: RecreatePolicy(never: true)).actions
                == [.keep(id: "web1", number: 1)])
        #expect(UpPlanner.plan(service: "web", replicas: 1, configHash: "h1", imageID: "i1", existing: [container(1)], policy: RecreatePolicy(force: true)).actions
                == [.recreate(id: "web1", number: 1)])
        #expect(UpPlanner.plan(service: "web", replicas: 1, configHash: "h1", imageID: "i1", existing: [container(1)], policy: RecreatePolicy(),
                               dependencyRecreated: true).actions == [.recreate(id: "web1", number: 1)])
    }

    @Test func otherServicesAndOneOffsAreNotCounted() {
        var oneOff = container(1)
        oneOff.oneOff = true
        let plan = UpPlanner.plan(service: "web", replicas: 1, configHash: "h1", imageID: "i1",
                                  existing: [container(1, service: "db"), oneOff], policy: RecreatePolicy())
        #expect(plan.actions == [.create(number: 1)])
        #expect(UpPlanner.orphans([container(1, service: "gone"), container(1)], services: ["web"]).map(\.service) == ["gone"])
    }

    @Test func namesFollowDockerCompose() {
        #expect(ComposeNaming.container(project: "shop", service: "web", number: 2, containerName: nil) == "shop-web-2")
        #expect(ComposeNaming.container(project: "shop", service: "web", number: 1, containerName: "custom") == "custom")
        #expect(ComposeNaming.oneOff(project: "shop", service: "web").hasPrefix("shop-web-run-"))
    }
}
