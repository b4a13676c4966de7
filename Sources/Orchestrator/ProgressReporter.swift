import Foundation

/// What `up`, `down` and friends report while they work: one line per resource and its
/// state. The CLI renders it (in place on a terminal, plain lines otherwise, JSON, quiet).
public enum ProgressResource: Sendable, Hashable, CustomStringConvertible {
    case network(String)
    case volume(String)
    case container(String)
    case image(String)

    public var description: String {
        switch self {
        case .network(let name): return "Network \(name)"
        case .volume(let name): return "Volume \(name)"
        case .container(let name): return "Container \(name)"
        case .image(let name): return "Image \(name)"
        }
    }
}

public enum ProgressState: Sendable, Equatable {
    case working(String)
    case done(String)
    case failed(String)
}

/// Receives progress events from any task; the handler must be thread-safe.
public struct ProgressReporter: Sendable {
    let handler: @Sendable (ProgressResource, ProgressState) -> Void

    public init(_ handler: @escaping @Sendable (ProgressResource, ProgressState) -> Void) {
        self.handler = handler
    }

    public static let silent = ProgressReporter { _, _ in }

    func event(_ resource: ProgressResource, _ state: ProgressState) {
        handler(resource, state)
    }
}
