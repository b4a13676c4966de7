import Engine
import Foundation
import SystemSupport

/// A busybox image made from Debian's busybox-static (installed by scripts/setup):
/// /bin/busybox with a link per applet, /etc/passwd and /etc/group with root and nobody,
/// /tmp — imported into `store` as `busybox:latest` with `CMD ["sh"]`.
public enum BusyboxImage {
    public static let reference = "busybox:latest"

    /// A gzip'd rootfs tarball of busybox in a new temporary directory (the caller removes it).
    public static func rootfsTarball() throws -> String {
        let work = NSTemporaryDirectory() + "swiftcompose-busybox-\(UUID().uuidString)"
        let rootfs = work + "/rootfs"
        let fm = FileManager.default
        for directory in ["bin", "etc", "tmp", "proc", "sys", "dev", "root", "var/www", "usr/bin", "sbin"] {
            try fm.createDirectory(atPath: rootfs + "/" + directory, withIntermediateDirectories: true)
        }
        chmod(rootfs + "/tmp", 0o1777)
        try fm.copyItem(atPath: "/bin/busybox", toPath: rootfs + "/bin/busybox")
        for applet in try applets() where applet != "busybox" {
            try? fm.createSymbolicLink(atPath: rootfs + "/bin/" + applet, withDestinationPath: "busybox")
        }
        try "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:1000:1000:app:/home/app:/bin/sh\n"
            .write(toFile: rootfs + "/etc/passwd", atomically: true, encoding: .utf8)
        try "root:x:0:\nnogroup:x:65534:\napp:x:1000:\naudio:x:29:app\n".write(toFile: rootfs + "/etc/group", atomically: true, encoding: .utf8)
        let tarball = work + "/busybox.tar.gz"
        try run(["/bin/tar", "-C", rootfs, "--numeric-owner", "-czf", tarball, "."])
        try? fm.removeItem(atPath: rootfs)
        return tarball
    }

    /// Imports busybox into the store as `busybox:latest`.
    @discardableResult
    public static func make(in store: ImageStore) throws -> ImageRecord {
        let tarball = try rootfsTarball()
        defer { try? FileManager.default.removeItem(atPath: (tarball as NSString).deletingLastPathComponent) }
        var config = ImageConfiguration.Config()
        config.Cmd = ["sh"]
        config.Env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
        return try store.importRootfs(tarball: tarball, reference: reference, config: config, comment: "busybox-static test image")
    }

    static func applets() throws -> [String] {
        let output = try run(["/bin/busybox", "--list"])
        return output.split(separator: "\n").map(String.init)
    }

    @discardableResult
    public static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw EngineError(.system, "\(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
