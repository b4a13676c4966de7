import Glibc
import Testing
@testable import SystemSupport

@Suite struct SupportTests {
    @Test func sha256OfKnownInput() {
        #expect(SHA256Hasher.digest(Array("abc".utf8))
            == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256Hasher.digest([])
            == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func atomicWriteReplacesWholeFile() throws {
        let directory = "/tmp/swiftcompose-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try makeDirectories(directory + "/a/b")
        defer { _ = system("rm -rf \(directory)") }
        let path = directory + "/a/b/record.json"
        try AtomicFile.write("first", to: path)
        try AtomicFile.write("second", to: path)
        #expect(try AtomicFile.read(path) == Array("second".utf8))
        #expect(try AtomicFile.read(directory + "/missing") == nil)
    }

    @Test func aSpreadingDirectoryCarriesTheTopDirectoryFlag() throws {
        let directory = "/tmp/swiftcompose-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { _ = system("rm -rf \(directory)") }
        let path = directory + "/root/containers"
        try makeSpreadingDirectory(path)
        try makeSpreadingDirectory(path)  // already there: fine
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        var flags: Int32 = 0
        try #require(fd >= 0 && ioctl(fd, 0x8008_6601, &flags) == 0, "the test directory's filesystem has no inode flags")
        #expect(flags & 0x0002_0000 != 0)
    }

    @Test func lockIsExclusive() throws {
        let path = "/tmp/swiftcompose-lock-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(path) }
        let held = try FileLock(exclusive: path)
        // flock locks belong to the open file description, so a second open conflicts.
        #expect(try FileLock.attempt(exclusive: path) == nil)
        _ = held
    }
}
