import SystemSupport

/// This process's mount table, read whole: Foundation's file reading stops short on a
/// procfs file as large as a busy host's mountinfo, and a "nothing left mounted" check
/// would then pass without looking.
public enum MountTable {
    public static func current() throws -> String {
        String(decoding: try AtomicFile.read("/proc/self/mountinfo") ?? [], as: UTF8.self)
    }
}
