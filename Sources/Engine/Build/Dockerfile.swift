/// A parsed Dockerfile: the ARGs before the first FROM and the build stages. Values are
/// as written (variables are expanded by the builder, where Docker expands them).
public struct Dockerfile: Sendable, Equatable {
    public var globalArgs: [Instruction]
    public var stages: [Stage]
    /// The `# escape=` directive (default backslash).
    public var escape: Character

    public struct Stage: Sendable, Equatable {
        public var from: Instruction
        /// `FROM image AS name`, lowercased as Docker does.
        public var name: String?
        public var instructions: [Instruction]
    }

    /// One instruction with its source line, for errors and the build output.
    public struct Instruction: Sendable, Equatable {
        public enum Arguments: Sendable, Equatable {
            /// `CMD ["a", "b"]`: used as is, never through a shell.
            case exec([String])
            /// Everything after the keyword and its flags, continuation lines joined.
            case shell(String)
        }

        public struct Heredoc: Sendable, Equatable {
            public var name: String
            public var content: String
            /// An unquoted delimiter: variables in the content are expanded.
            public var expands: Bool
        }

        public var keyword: String
        /// `--from=build` → ["from": "build"]; a flag without a value maps to "".
        public var flags: [String: String]
        public var arguments: Arguments
        public var heredocs: [Heredoc]
        public var line: Int
        /// The instruction as written (first line, continuations joined), for the output.
        public var text: String

        /// The arguments as one string (the exec form re-joined), for messages.
        var argumentText: String {
            switch arguments {
            case .exec(let words): words.joined(separator: " ")
            case .shell(let text): text
            }
        }
    }
}

/// A Dockerfile that cannot be built, with where it went wrong.
public struct DockerfileError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int
    public var message: String
    public var hint: String?

    public init(file: String, line: Int, _ message: String, hint: String? = nil) {
        self.file = file; self.line = line; self.message = message; self.hint = hint
    }

    public var description: String {
        "\(file):\(line): \(message)" + (hint.map { "\n  hint: \($0)" } ?? "")
    }
}
