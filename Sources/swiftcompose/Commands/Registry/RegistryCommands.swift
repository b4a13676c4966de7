import ArgumentParser
import Engine
import Foundation
import SystemSupport

struct ImagePullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Pull an image from a registry (like docker pull).",
        discussion: "localhost registries and those in SWIFTCOMPOSE_INSECURE_REGISTRIES are reached over plain HTTP."
    )
    @OptionGroup var engine: EngineOptions
    @Option(name: .long, help: "The platform to pick from a multi-platform image.") var platform = "linux/amd64"
    @Flag(name: [.customShort("q"), .long], help: "Print only the image name.") var quiet = false
    @Argument(help: "NAME[:TAG|@DIGEST]") var name: String

    func run() async throws {
        do {
            let image = try await engine.images.pull(name, platform: platform, progress: TransferOutput.printer(quiet: quiet))
            print(quiet ? (try ImageReference(parsing: name)).familiar : "Pulled \((try ImageReference(parsing: name)).familiar) (\(image.shortID))")
        } catch {
            failAndExit(error)
        }
    }
}

struct ImagePushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Push an image to a registry (like docker push).",
        discussion: "Tag the image with the registry's name first: swiftcompose image tag app localhost:5000/app:1"
    )
    @OptionGroup var engine: EngineOptions
    @Flag(name: [.customShort("q"), .long], help: "Print only the manifest digest.") var quiet = false
    @Argument(help: "NAME[:TAG]") var name: String

    func run() async throws {
        do {
            let digest = try await engine.images.push(name, progress: TransferOutput.printer(quiet: quiet))
            print(digest)
        } catch {
            failAndExit(error)
        }
    }
}

struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Log in to a registry (credentials go to Docker's config.json).",
        discussion: "The credentials are checked against the registry before they are stored in $DOCKER_CONFIG/config.json (default ~/.docker)."
    )
    @Option(name: [.customShort("u"), .long], help: "User name.") var username: String?
    @Option(name: [.customShort("p"), .long], help: "Password (prefer --password-stdin).") var password: String?
    @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input.") var passwordStdin = false
    @Argument(help: "The registry (default: docker.io).") var server = "docker.io"

    func run() async throws {
        guard let username else { throw ValidationError("give the user name with -u") }
        var secret = password
        if passwordStdin {
            secret = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                .trimmingCharacters(in: .newlines)
        }
        guard let secret, !secret.isEmpty else { throw ValidationError("give the password with --password-stdin (or -p)") }
        do {
            try await ImageStore.login(server, user: username, password: secret)
            print("Login Succeeded")
        } catch {
            failAndExit(error)
        }
    }
}

struct LogoutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "Forget the credentials of a registry.")
    @Argument(help: "The registry (default: docker.io).") var server = "docker.io"

    func run() throws {
        do {
            try ImageStore.logout(server)
            print("Removing login credentials for \(server)")
        } catch {
            failAndExit(error)
        }
    }
}
