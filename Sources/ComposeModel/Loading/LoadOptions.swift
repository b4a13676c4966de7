import Foundation

/// What a compose command was given: the flags (`-f`, `-p`, `--project-directory`,
/// `--profile`, `--env-file`, `--no-interpolate`), the working directory and the shell
/// environment. `ProjectLoader.load` turns it into a `Project`.
public struct LoadOptions: Sendable {
    public var files: [String] = []
    public var projectName: String?
    public var projectDirectory: String?
    public var profiles: [String] = []
    public var envFiles: [String] = []
    public var interpolate = true
    /// Resolve relative paths to absolute ones (docker compose does unless asked not to).
    public var resolvePaths = true
    public var workingDirectory: String
    public var environment: [String: String]
    /// Contents of standard input, for `-f -`.
    public var standardInput: String?

    public init(workingDirectory: String = FileManager.default.currentDirectoryPath,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.workingDirectory = workingDirectory
        self.environment = environment
    }
}

/// The standard compose file names, in the order docker compose looks for them.
enum ComposeFileNames {
    static let primary = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"]
    static let overrides = ["compose.override.yaml", "compose.override.yml", "docker-compose.override.yaml", "docker-compose.override.yml"]

    /// Finds the compose file in `directory` or the nearest parent, plus its override file.
    static func discover(from directory: String) -> [String]? {
        var current = Paths.clean(directory)
        while true {
            for name in primary {
                let candidate = current == "/" ? "/\(name)" : "\(current)/\(name)"
                if FileManager.default.fileExists(atPath: candidate) {
                    var files = [candidate]
                    for override in overrides {
                        let path = current == "/" ? "/\(override)" : "\(current)/\(override)"
                        if FileManager.default.fileExists(atPath: path) { files.append(path); break }
                    }
                    return files
                }
            }
            if current == "/" { return nil }
            current = Paths.directory(of: current)
        }
    }
}

/// Project names as docker compose accepts and derives them.
public enum ProjectName {
    /// Lowercase letters, digits, `-` and `_`, starting with a letter or digit.
    public static func normalize(_ text: String) -> String {
        let kept = text.lowercased().unicodeScalars.filter {
            ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "_" || $0 == "-"
        }
        return String(String.UnicodeScalarView(kept)).trimmingPrefix { $0 == "_" || $0 == "-" }.description
    }

    public static func isValid(_ text: String) -> Bool {
        !text.isEmpty && normalize(text) == text
    }
}
