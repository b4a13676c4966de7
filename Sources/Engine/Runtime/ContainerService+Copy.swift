import CRuntime
import Glibc
import Monitor
import SystemSupport

/// `cp` between a container and the host. Both ends of the copy run a static busybox
/// `tar` chrooted into the side it reads or writes (the container's root, or the host
/// destination), so a symlink planted in the container resolves inside it — never on
/// the host (the CVE-2018-15664 class).
extension ContainerService {
    static let staticTar = "/bin/busybox"

    /// Where to read or write the container's files: its live root while it runs, else its
    /// rootfs directory — or its overlay layers, mounted in a private namespace by the child.
    struct FilesystemRoot {
        var path: String
        var mountType: String?
        var mountData: String?
    }

    func filesystemRoot(_ record: ContainerRecord) throws(EngineError) -> FilesystemRoot {
        let current = try info(record)
        if current.isRunning { return FilesystemRoot(path: "/proc/\(current.run.pid)/root") }
        switch record.rootfs {
        case .directory(let path): return FilesystemRoot(path: path)
        case .overlay(let lower, let upper, let work):
            let mountPoint = store.paths(record.id).directory + "/rootfs"
            do { try makeDirectories(mountPoint) } catch { throw EngineError(.system, "cannot create \(mountPoint)", cause: error) }
            return FilesystemRoot(path: mountPoint, mountType: "overlay",
                                  mountData: "lowerdir=\(lower.joined(separator: ":")),upperdir=\(upper),workdir=\(work)")
        }
    }

    /// Copies `containerPath` (file or directory) to `hostPath`: into it when it is an
    /// existing directory, else as that name.
    public func copyOut(_ reference: String, from containerPath: String, to hostPath: String) async throws(EngineError) {
        let record = try store.resolve(reference)
        let root = try filesystemRoot(record)
        let (parent, name) = split(containerPath)
        var info = stat()
        let intoDirectory = stat(hostPath, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
        let destination = intoDirectory ? hostPath : split(hostPath).parent
        let staging = intoDirectory ? hostPath : "\(destination)/.swiftcompose-cp-\(UInt32.random(in: 0...UInt32.max))"
        if !intoDirectory {
            guard mkdir(staging, 0o700) == 0 else {
                throw EngineError(.system, "cannot copy to \(hostPath)", cause: SystemCallError("mkdir", staging))
            }
        }
        defer { if !intoDirectory { _ = cr_remove_tree(staging) } }
        try pipeTar(from: (root, parent, ["tar", "-c", "-f", "-", name]), to: (FilesystemRoot(path: staging), "/", ["tar", "-x", "-f", "-"]),
                    what: "\(record.name):\(containerPath)")
        if !intoDirectory, Glibc.rename("\(staging)/\(name)", hostPath) != 0 {
            throw EngineError(.system, "cannot copy to \(hostPath)", cause: SystemCallError("rename", hostPath))
        }
    }

    /// Copies `hostPath` into the container: into `containerPath` when that is an
    /// existing directory there, else as that name.
    public func copyIn(_ reference: String, from hostPath: String, to containerPath: String) async throws(EngineError) {
        let record = try store.resolve(reference)
        let root = try filesystemRoot(record)
        guard access(hostPath, F_OK) == 0 else { throw EngineError(.notFound, "no such file or directory: \(hostPath)") }
        let intoDirectory = run(root: root, ["test", "-d", containerPath]) == 0
        let (hostParent, hostName) = split(hostPath)
        let (targetDirectory, targetName) = intoDirectory ? (containerPath, hostName) : split(containerPath)
        guard run(root: root, ["test", "-d", targetDirectory]) == 0 else {
            throw EngineError(.notFound, "could not find the directory \(targetDirectory) in container \(record.name)")
        }
        var sourceDirectory = hostParent
        var staging: String?
        if targetName != hostName {
            // Give the copy its new name in a staging directory (busybox tar cannot rename).
            let directory = "/tmp/.swiftcompose-cp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            guard mkdir(directory, 0o700) == 0, symlink(hostPath, "\(directory)/\(targetName)") == 0 else {
                throw EngineError(.system, "cannot stage \(hostPath)", cause: SystemCallError("mkdir", directory))
            }
            staging = directory
            sourceDirectory = directory
        }
        defer { if let staging { _ = cr_remove_tree(staging) } }
        // -h: the staged name is a symlink to the source; archive what it points at.
        try pipeTar(from: (FilesystemRoot(path: "/"), sourceDirectory, ["tar", "-c", "-h", "-f", "-", targetName]),
                    to: (root, targetDirectory, ["tar", "-x", "-f", "-"]), what: "\(record.name):\(containerPath)")
    }

    private func split(_ path: String) -> (parent: String, name: String) {
        var trimmed = path
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return (".", trimmed) }
        let parent = String(trimmed[..<slash])
        return (parent.isEmpty ? "/" : parent, String(trimmed[trimmed.index(after: slash)...]))
    }

    func spawn(root: FilesystemRoot, cwd: String, _ arguments: [String], input: Int32, output: Int32) -> pid_t {
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        return cr_chroot_spawn(ContainerService.staticTar, root.path, cwd, argv, input, output, root.mountType, root.mountData)
    }

    func reap(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    func run(root: FilesystemRoot, _ arguments: [String]) -> Int32 {
        let pid = spawn(root: root, cwd: "/", arguments, input: -1, output: -1)
        return pid < 0 ? 127 : reap(pid)
    }

    func pipeTar(from source: (FilesystemRoot, String, [String]), to target: (FilesystemRoot, String, [String]), what: String) throws(EngineError) {
        var pipe: [Int32] = [-1, -1]
        guard cr_pipe(&pipe) == 0 else { throw EngineError(.system, "cannot copy \(what)", cause: SystemCallError("pipe")) }
        let reader = spawn(root: target.0, cwd: target.1, target.2, input: pipe[0], output: -1)
        let writer = spawn(root: source.0, cwd: source.1, source.2, input: -1, output: pipe[1])
        close(pipe[0])
        close(pipe[1])
        let written = writer < 0 ? 127 : reap(writer)
        let read = reader < 0 ? 127 : reap(reader)
        guard written == 0 else { throw EngineError(.notFound, "could not copy \(what): no such file or directory in the source") }
        guard read == 0 else { throw EngineError(.system, "could not copy \(what): writing the destination failed (status \(read))") }
    }
}

extension ContainerService {
    /// Docker's first-use copy for named volumes: when `volumeDirectory` is empty, fills it
    /// with what `image` has at `path` (files, ownership, modes). The volume layer calls
    /// it before a container first starts with the volume. Returns whether it copied.
    @discardableResult
    public func populateVolume(_ volumeDirectory: String, from image: ContainerImage, path: String) async throws(EngineError) -> Bool {
        guard let handle = opendir(volumeDirectory) else {
            throw EngineError(.notFound, "the volume directory \(volumeDirectory) is missing", cause: SystemCallError("opendir", volumeDirectory))
        }
        var empty = true
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { empty = false; break }
        }
        closedir(handle)
        guard empty else { return false }
        let root: FilesystemRoot
        switch image.rootfs {
        case .directory(let directory): root = FilesystemRoot(path: directory)
        case .overlay(let lower, let upper, _):
            // Read-only view of the image's layers in the child's own mount namespace.
            root = FilesystemRoot(path: upper, mountType: "overlay", mountData: "lowerdir=\(upper):\(lower.joined(separator: ":"))")
        }
        guard run(root: root, ["test", "-d", path]) == 0 else { return false }
        try pipeTar(from: (root, path, ["tar", "-c", "-f", "-", "."]), to: (FilesystemRoot(path: volumeDirectory), "/", ["tar", "-x", "-f", "-"]),
                    what: "\(image.reference):\(path) into the volume \(volumeDirectory)")
        return true
    }
}
