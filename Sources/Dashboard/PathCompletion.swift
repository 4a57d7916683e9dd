import Foundation

/// File-path Tab completion (the only part of the prompt that touches the file system).
public enum PathCompletion {
    public static func expandTilde(_ p: String) -> String {
        guard p.hasPrefix("~") else { return p }
        return NSHomeDirectory() + p.dropFirst()
    }

    /// Candidates for what was typed, keeping the typed directory prefix; directories end in "/".
    public static func candidates(for typed: String) -> [String] {
        let slash = typed.lastIndex(of: "/")
        let dirPart = slash.map { String(typed[...$0]) } ?? ""
        let namePart = slash.map { String(typed[typed.index(after: $0)...]) } ?? typed
        let dir = dirPart.isEmpty ? "." : expandTilde(dirPart)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        return names
            .filter { $0.hasPrefix(namePart) && (namePart.hasPrefix(".") || !$0.hasPrefix(".")) }
            .sorted()
            .map { name in
                var isDir: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: (dir as NSString).appendingPathComponent(name), isDirectory: &isDir)
                return dirPart + name + (isDir.boolValue ? "/" : "")
            }
    }
}

