import Testing
@testable import ComposeModel

@Suite struct InterpolationTests {
    let environment = ["NAME": "web", "EMPTY": "", "PORT": "8080"]

    func substitute(_ text: String) throws -> String {
        try Interpolator(environment: environment).substitute(text)
    }

    @Test(arguments: [
        ("$NAME", "web"), ("${NAME}", "web"), ("x${NAME}y", "xweby"), ("$$NAME", "$NAME"),
        ("${MISSING:-d}", "d"), ("${EMPTY:-d}", "d"), ("${EMPTY-d}", ""), ("${MISSING-d}", "d"),
        ("${NAME:+alt}", "alt"), ("${EMPTY:+alt}", ""), ("${EMPTY+alt}", "alt"), ("${MISSING+alt}", ""),
        ("${MISSING:-${NAME}-${PORT}}", "web-8080"), ("${MISSING:-${ALSO:-deep}}", "deep"),
        ("$(date)", "$(date)"), ("cost: 5$", "cost: 5$"), ("${NAME}${PORT}", "web8080"),
    ])
    func substitutes(_ input: String, _ expected: String) throws {
        #expect(try substitute(input) == expected)
    }

    @Test func requiredVariableErrorsWithItsMessage() throws {
        #expect(throws: Interpolator.Failure.self) { try substitute("${MISSING:?must be set}") }
        do throws(Interpolator.Failure) {
            _ = try Interpolator(environment: environment).substitute("${MISSING?say why}")
            Issue.record("expected an error")
        } catch {
            #expect(error.message == "required variable MISSING is missing a value: say why")
        }
        #expect(throws: Interpolator.Failure.self) { try substitute("${EMPTY:?empty}") }
        #expect(try substitute("${EMPTY?not unset}") == "")
    }

    @Test(arguments: ["${", "${NAME", "${1BAD}", "${NAME:x}", "${}"])
    func malformedTemplatesAreRefused(_ input: String) {
        #expect(throws: Interpolator.Failure.self) { try substitute(input) }
    }

    @Test func unsetVariablesAreReportedOnce() throws {
        final class Seen: @unchecked Sendable { var names: [String] = [] }
        let seen = Seen()
        let interpolator = Interpolator(lookup: { _ in nil }, onUnset: { seen.names.append($0) })
        #expect(try interpolator.substitute("$A-${B}") == "-")
        #expect(seen.names == ["A", "B"])
    }
}
