import Foundation
import XCTest

/// A fresh temporary folder, removed when the object goes away; every test writes its own files here.
public final class TempDir {
    public let path: String

    public init() {
        var template = Array((NSTemporaryDirectory() + "ferdash-test-XXXXXX").utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The full path of `name` inside the folder (nothing is created).
    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    @discardableResult
    public func write(_ name: String, _ text: String) -> String { write(name, Array(text.utf8)) }

    @discardableResult
    public func write(_ name: String, _ bytes: [UInt8]) -> String {
        let full = file(name)
        try! FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: full, contents: Data(bytes)), "cannot write \(full)")
        return full
    }

    @discardableResult
    public func mkdir(_ name: String) -> String {
        let full = file(name)
        try! FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        return full
    }
}
