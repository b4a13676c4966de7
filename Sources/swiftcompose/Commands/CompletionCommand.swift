import ArgumentParser

/// `swiftcompose completion bash|zsh|fish`: the shell completion script, as `docker completion` prints it.
struct CompletionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "completion",
        abstract: "Print the shell completion script for bash, zsh or fish.",
        discussion: """
        bash:  swiftcompose completion bash > /etc/bash_completion.d/swiftcompose
        zsh:   swiftcompose completion zsh > "${fpath[1]}/_swiftcompose"
        fish:  swiftcompose completion fish > ~/.config/fish/completions/swiftcompose.fish
        """
    )
    @Argument(help: "bash, zsh or fish.") var shell: String

    func run() throws {
        guard let kind = CompletionShell(rawValue: shell) else {
            throw ValidationError("no completion for \(shell): choose bash, zsh or fish")
        }
        print(Swiftcompose.completionScript(for: kind))
    }
}
