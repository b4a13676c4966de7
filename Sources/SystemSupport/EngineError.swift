import Glibc

/// The one error type of the engine: a code a caller can switch on, a message written
/// for the person at the terminal (what is wrong and what to do), and the underlying cause.
public struct EngineError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let notFound = Code("not-found")
        public static let alreadyExists = Code("already-exists")
        public static let invalidArgument = Code("invalid-argument")
        public static let inUse = Code("in-use")
        public static let conflict = Code("conflict")
        public static let corrupt = Code("corrupt")
        public static let unsafe = Code("unsafe")
        public static let system = Code("system")
        public static let unsupported = Code("unsupported")
        public static let network = Code("network")
        public static let timeout = Code("timeout")
    }

    public let code: Code
    public let message: String
    public let cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        guard let cause else { return message }
        return "\(message): \(cause)"
    }
}

/// A failed system call: the call's name, the path or object it acted on, and errno.
public struct SystemCallError: Error, CustomStringConvertible, Sendable, Equatable {
    public let call: String
    public let subject: String?
    public let errno: Int32

    public init(_ call: String, _ subject: String? = nil, errno: Int32 = Glibc.errno) {
        self.call = call
        self.subject = subject
        self.errno = errno
    }

    public var description: String {
        let reason = String(cString: strerror(errno))
        if let subject { return "\(call) \(subject): \(reason)" }
        return "\(call): \(reason)"
    }
}
