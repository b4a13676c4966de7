import Glibc
import SystemSupport

/// A NETLINK_ROUTE socket bound to the network namespace it was opened in. Requests are
/// sent one at a time and their acknowledgement (or dump) read back before returning.
final class NetlinkSocket {
    private let fd: Int32
    private var sequence: UInt32 = 0

    /// A socket in the caller's network namespace.
    init() throws(SystemCallError) {
        fd = try Syscall.retrying("socket", "AF_NETLINK") {
            socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
    }

    /// Adopts an already opened netlink socket (one opened inside another namespace).
    init(adopting fd: Int32) { self.fd = fd }

    deinit { close(fd) }

    /// Sends a request that changes something and waits for the kernel's acknowledgement.
    func execute(_ request: NetlinkRequest, _ what: @autoclosure () -> String) throws(SystemCallError) {
        var acknowledged = request
        acknowledged.addFlags(NetlinkConstant.acknowledge)
        _ = try exchange(acknowledged, what(), untilDone: false)
    }

    /// Sends a dump request and collects every message up to NLMSG_DONE.
    func dump(_ request: NetlinkRequest, _ what: @autoclosure () -> String) throws(SystemCallError) -> [NetlinkReply] {
        try exchange(request, what(), untilDone: true)
    }

    private func exchange(_ request: NetlinkRequest, _ what: String, untilDone: Bool) throws(SystemCallError) -> [NetlinkReply] {
        sequence &+= 1
        let message = request.finished(sequence: sequence)
        _ = try Syscall.retrying("netlink send", what) {
            message.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        }
        var collected: [NetlinkReply] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = try Syscall.retrying("netlink recv", what) {
                buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            }
            for reply in NetlinkReply.split(buffer[0..<count]) where reply.sequence == sequence {
                switch reply.type {
                case NetlinkConstant.error:
                    let code = reply.payload.load(Int32.self, at: reply.payload.startIndex)
                    if code != 0 { throw SystemCallError("netlink", what, errno: -code) }
                    return collected
                case NetlinkConstant.done:
                    return collected
                default:
                    collected.append(reply)
                }
            }
        }
    }
}
