// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "swiftcompose",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "swiftcompose", targets: ["swiftcompose"]),
        .executable(name: "swiftcompose-netd", targets: ["swiftcompose-netd"]),
        .executable(name: "swiftcompose-monitor", targets: ["swiftcompose-monitor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // The compose file → Project value. Knows nothing of containers.
        .target(
            name: "ComposeModel",
            dependencies: ["SystemSupport", .product(name: "Yams", package: "Yams")]
        ),

        // System libraries the engine links (installed by scripts/setup).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd"),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto"),
        .systemLibrary(name: "CSeccomp", path: "Sources/CSeccomp"),
        .systemLibrary(name: "CCap", path: "Sources/CCap"),
        .systemLibrary(name: "CFileSystem", path: "Sources/CFileSystem"),
        .target(name: "CNetworkSupport"),
        // TLS for the registry client, through the system's OpenSSL.
        .target(name: "CTLS", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),

        // Syscall wrappers, errors, atomic files, locks, digests. Foundation-free, so the
        // per-container monitor that links it stays small (goal: < 4 MiB RSS).
        .target(name: "SystemSupport", dependencies: ["CCrypto"]),

        // Network services that run beside containers: the per-network DNS server and the
        // published-port proxy. Foundation-free: the monitor and netd link it statically.
        .target(name: "NetworkServices", dependencies: ["SystemSupport", "CNetworkSupport"]),

        // The per-network DNS server process.
        .executableTarget(
            name: "swiftcompose-netd",
            dependencies: ["NetworkServices", "SystemSupport"],
            linkerSettings: [.unsafeFlags(["-static-stdlib"])]
        ),

        // Everything between clone and exec of a container process (no Swift runs there).
        .target(name: "CRuntime"),

        // The per-container monitor (parent of the container's process): log, exit status,
        // restarts, healthchecks, control socket, IPv6 published ports. Foundation-free to
        // stay under 4 MiB RSS.
        .target(name: "Monitor", dependencies: ["SystemSupport", "NetworkServices", "CRuntime"]),
        .executableTarget(
            name: "swiftcompose-monitor",
            dependencies: ["Monitor", "SystemSupport"],
            linkerSettings: [.unsafeFlags(["-static-executable", "-Xlinker", "--gc-sections", "-Xlinker", "--strip-all"])]
        ),

        // The container engine as a library. Knows nothing of compose files.
        .target(
            name: "Engine",
            dependencies: ["SystemSupport", "NetworkServices", "CNetworkSupport", "CTLS", "CZlib", "CZstd", "CSeccomp", "CCap", "CFileSystem", "Monitor"]
        ),

        // Project + engine state → plan → actions.
        .target(
            name: "Orchestrator",
            dependencies: ["ComposeModel", "Engine", "Monitor", "NetworkServices", "SystemSupport"]
        ),

        // A project as Kubernetes manifests.
        .target(name: "Kube", dependencies: ["ComposeModel"]),

        // The CLI: argument parsing and presentation only.
        .executableTarget(
            name: "swiftcompose",
            dependencies: [
                "ComposeModel", "Engine", "Orchestrator", "Monitor", "Kube",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "ComposeModelTests", dependencies: ["ComposeModel"], resources: [.copy("Corpus")]),
        .testTarget(name: "SystemSupportTests", dependencies: ["SystemSupport"]),
        .testTarget(name: "KubeTests", dependencies: ["Kube", "ComposeModel"]),
        .testTarget(name: "CLITests", dependencies: ["swiftcompose", "Engine"]),
        .target(name: "EngineTestSupport", dependencies: ["Engine", "SystemSupport"], path: "Tests/EngineTestSupport"),
        .testTarget(name: "EngineTests", dependencies: ["EngineTestSupport", "CFileSystem", "Engine", "SystemSupport", "NetworkServices", "Monitor"]),
        .testTarget(name: "OrchestratorTests", dependencies: ["Orchestrator", "ComposeModel", "Engine", "EngineTestSupport", "SystemSupport"]),
    ]
)
