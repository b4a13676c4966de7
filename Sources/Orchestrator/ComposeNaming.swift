/// docker compose's names and labels, so that stacks look the same to a user of both.
public enum ComposeLabel {
    public static let project = "com.docker.compose.project"
    public static let service = "com.docker.compose.service"
    public static let containerNumber = "com.docker.compose.container-number"
    public static let configHash = "com.docker.compose.config-hash"
    public static let oneoff = "com.docker.compose.oneoff"
    public static let configFiles = "com.docker.compose.project.config_files"
    public static let workingDir = "com.docker.compose.project.working_dir"
    public static let network = "com.docker.compose.network"
    public static let volume = "com.docker.compose.volume"
    public static let image = "com.docker.compose.image"
    public static let version = "com.docker.compose.version"
    public static let dependsOn = "com.docker.compose.depends_on"
}

public enum ComposeNaming {
    /// `<project>-<service>-<n>`, unless the service sets `container_name`.
    public static func container(project: String, service: String, number: Int, containerName: String?) -> String {
        containerName ?? "\(project)-\(service)-\(number)"
    }

    /// A one-off container of `run`: `<project>-<service>-run-<random>`.
    public static func oneOff(project: String, service: String) -> String {
        "\(project)-\(service)-run-\(String(UInt64.random(in: 0...UInt64.max), radix: 16).prefix(12))"
    }
}
