import Glibc
import SystemSupport

/// Runs a host tool (only `nft` here) with text on its standard input and returns its
/// exit status and standard error; used where the kernel interface is a ruleset language.
enum HostCommand {
    struct Outcome {
        let status: Int32
        let errorOutput: String
    }

    static func run(_ executable: String, _ arguments: [String], input: String) throws(SystemCallError) -> Outcome {
        var inputPipe: [Int32] = [0, 0]
        var errorPipe: [Int32] = [0, 0]
        try Syscall.retrying("pipe", executable) { pipe(&inputPipe) }
        if pipe(&errorPipe) != 0 {
            let error = SystemCallError("pipe", executable)
            close(inputPipe[0]); close(inputPipe[1])
            throw error
        }
        // Our ends must not leak into other children spawned meanwhile.
        for fd in inputPipe + errorPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inputPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, executable, &actions, nil, argv, environ)
        close(inputPipe[0])
        close(errorPipe[1])
        guard spawned == 0 else {
            close(inputPipe[1]); close(errorPipe[0])
            throw SystemCallError("posix_spawn", executable, errno: spawned)
        }
        let bytes = Array(input.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(inputPipe[1], $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 { if errno == EINTR { continue }; break }
            offset += written
        }
        close(inputPipe[1])
        var errorOutput: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(errorPipe[0], $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            errorOutput += chunk[0..<count]
        }
        close(errorPipe[0])
        var status: Int32 = 0
        _ = try Syscall.retrying("waitpid", executable) { waitpid(pid, &status, 0) }
        let exitCode = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return Outcome(status: exitCode, errorOutput: String(decoding: errorOutput, as: UTF8.self))
    }
}
