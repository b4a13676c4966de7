import Testing
@testable import Engine

@Suite struct DockerfileParserTests {
    @Test func continuationsCommentsAndForms() throws {
        let file = try DockerfileParser.parse("""
        # syntax=docker/dockerfile:1
        ARG BASE=busybox
        FROM ${BASE} AS Build
        # a comment
        RUN echo one \\
        # comment inside
            && echo two
        CMD ["sh", "-c", "echo hi"]
        ENTRYPOINT echo not json [
        COPY --from=build --chmod=644 a b /dst/
        """)
        #expect(file.globalArgs.map(\.argumentText) == ["BASE=busybox"])
        #expect(file.stages.count == 1)
        #expect(file.stages[0].name == "build")
        let instructions = file.stages[0].instructions
        #expect(instructions[0].arguments == .shell("echo one     && echo two"))
        #expect(instructions[0].line == 5)
        #expect(instructions[1].arguments == .exec(["sh", "-c", "echo hi"]))
        #expect(instructions[2].arguments == .shell("echo not json ["))
        #expect(instructions[3].flags == ["from": "build", "chmod": "644"])
        #expect(instructions[3].arguments == .shell("a b /dst/"))
    }

    @Test func escapeDirectiveAndHeredocs() throws {
        let file = try DockerfileParser.parse("""
        # escape=`
        FROM busybox
        RUN echo a `
            b
        RUN <<EOF
        echo "$HOME"
        EOF
        COPY <<-'ONE' <<TWO /dst/
        \tfirst
        \tONE
        second $X
        TWO
        """)
        #expect(file.escape == "`")
        let instructions = file.stages[0].instructions
        #expect(instructions[0].arguments == .shell("echo a     b"))
        #expect(instructions[1].heredocs == [.init(name: "EOF", content: "echo \"$HOME\"\n", expands: true)])
        #expect(instructions[2].heredocs == [.init(name: "ONE", content: "first\n", expands: false),
                                             .init(name: "TWO", content: "second $X\n", expands: true)])
    }

    @Test func errorsNameTheLine() {
        #expect(throws: DockerfileError.self) { try DockerfileParser.parse("RUN echo hi\n") }
        do {
            _ = try DockerfileParser.parse("FROM busybox\n\nRUNN echo hi\n", file: "app/Dockerfile")
            Issue.record("an unknown instruction was accepted")
        } catch {
            #expect(error.description.hasPrefix("app/Dockerfile:3: unknown instruction: RUNN"))
            #expect(error.hint == "did you mean RUN?")
        }
        do {
            _ = try DockerfileParser.parse("FROM busybox\nCOPY --form=x a b\n")
            Issue.record("an unknown flag was accepted")
        } catch {
            #expect(error.line == 2)
            #expect(error.message.contains("unknown flag --form"))
        }
        do {
            _ = try DockerfileParser.parse("FROM busybox\nRUN <<EOF\necho\n")
            Issue.record("an unterminated heredoc was accepted")
        } catch {
            #expect(error.message.contains("never closed"))
        }
        #expect(throws: DockerfileError.self) { try DockerfileParser.parse("FROM a b\n") }
        #expect(throws: DockerfileError.self) { try DockerfileParser.parse("FROM busybox\nRUN\n") }
    }
}

@Suite struct ShellWordsTests {
    let words = ShellWords(escape: "\\", variables: ["A": "1", "EMPTY": "", "PATHS": "x y"])

    @Test func expansions() throws {
        #expect(try words.word("$A-${A}") == "1-1")
        #expect(try words.word("${UNSET:-dflt} ${EMPTY:-dflt} ${EMPTY-dflt}") == "dflt dflt ")
        #expect(try words.word("${A:+alt} ${UNSET:+alt}|") == "alt |")
        #expect(try words.word("'$A' \"$A\" \\$A") == "$A 1 $A")
        #expect(try words.word("cost: $") == "cost: $")
        #expect(throws: ShellWords.Failure.self) { try words.word("${UNSET:?must be set}") }
        #expect(throws: ShellWords.Failure.self) { try words.word("${A") }
        #expect(throws: ShellWords.Failure.self) { try words.word("\"open") }
    }

    @Test func splittingKeepsQuotedSpaces() throws {
        #expect(try words.words("a \"b c\" $PATHS") == ["a", "b c", "x y"])
        #expect(ShellWords.rawWords("A=1 B=\"x y\" C='z w'", escape: "\\") == ["A=1", "B=\"x y\"", "C='z w'"])
        #expect(try words.heredoc("v=$A \"q\" \\$A") == "v=1 \"q\" $A")
    }

    @Test func goDurations() {
        #expect(BuildSession.durationNanoseconds("1m30s") == 90_000_000_000)
        #expect(BuildSession.durationNanoseconds("300ms") == 300_000_000)
        #expect(BuildSession.durationNanoseconds("1.5s") == 1_500_000_000)
        #expect(BuildSession.durationNanoseconds("10") == nil)
    }
}

@Suite struct DockerIgnoreTests {
    @Test func patternsAndExceptions() {
        let ignore = DockerIgnore("""
        # comment
        *.log
        **/*.tmp
        build/
        !build/keep.txt
        /secret
        docs/**/draft?.md
        """)
        #expect(ignore.ignores("app.log"))
        #expect(!ignore.ignores("sub/app.log"))       // `*` does not cross `/`
        #expect(ignore.ignores("a/b/c.tmp"))
        #expect(ignore.ignores("x.tmp"))
        #expect(ignore.ignores("build/out.o"))        // inside an ignored directory
        #expect(!ignore.ignores("build/keep.txt"))    // taken back by `!`
        #expect(ignore.ignores("secret"))
        #expect(ignore.ignores("docs/a/b/draft1.md"))
        #expect(!ignore.ignores("docs/a/final.md"))
        #expect(!ignore.ignores("src/main.swift"))
        #expect(ignore.hasExclusions)
    }

    @Test func classesAndEscapes() {
        #expect(PathPattern("file[0-9].txt").matches("file7.txt"))
        #expect(!PathPattern("file[!0-9].txt").matches("file7.txt"))
        #expect(PathPattern("a\\*b").matches("a*b"))
        #expect(!PathPattern("a\\*b").matches("axb"))
        #expect(PathPattern("./dir/../x/*.c").matches("x/y.c"))
    }
}
