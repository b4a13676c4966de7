/// The version printed by `swiftcompose version`; bumped with each release.
enum SwiftcomposeVersion {
    static let current = "0.1.0-dev"
}
