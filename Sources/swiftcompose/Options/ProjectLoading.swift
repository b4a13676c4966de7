import ComposeModel
import Foundation

extension GlobalOptions {
    /// The loader's options from the global flags, the working directory and environment.
    func loadOptions(interpolate: Bool = true, resolvePaths: Bool = true) -> LoadOptions {
        var options = LoadOptions()
        options.files = file
        options.projectName = projectName
        options.projectDirectory = projectDirectory
        options.profiles = profile
        options.envFiles = envFile
        options.interpolate = interpolate
        options.resolvePaths = resolvePaths
        if file.contains("-") {
            options.standardInput = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        return options
    }

    /// Loads the project, printing docker compose's warnings on standard error.
    func loadProject(interpolate: Bool = true, resolvePaths: Bool = true) throws -> Project {
        let project: Project
        do {
            project = try ProjectLoader.load(loadOptions(interpolate: interpolate, resolvePaths: resolvePaths))
        } catch {
            throw CommandFailure(error.description, exitCode: 15)
        }
        for warning in project.warnings {
            FileHandle.standardError.write(Data("WARN[0000] \(warning)\n".utf8))
        }
        return project
    }
}

/// A failure to report as one message on standard error, with docker compose's exit code.
struct CommandFailure: Error, CustomStringConvertible {
    let message: String
    let exitCode: Int32

    init(_ message: String, exitCode: Int32 = 1) {
        self.message = message
        self.exitCode = exitCode
    }

    var description: String { message }
}
