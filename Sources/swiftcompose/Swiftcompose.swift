import ArgumentParser

@main
struct Swiftcompose: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftcompose",
        abstract: "Run multi-container stacks from compose files, with a built-in container engine.",
        discussion: """
            swiftcompose reads the same compose.yaml that docker compose reads and runs it with \
            its own engine: no Docker daemon, containerd or runc needed.
            """,
        version: SwiftcomposeVersion.current,
        subcommands: [
            VersionCommand.self,
            NetworkCommand.self,
        ]
    )

    static func main() async {
        await main(GlobalArgumentOrder.reorder(Array(CommandLine.arguments.dropFirst())))
    }
}
