/// Words flowed into lines of at most `width` characters (a longer word is cut).
func wrapped(_ text: String, width: Int) -> [String] {
    guard width > 0 else { return [] }
    var lines: [String] = [], line = ""
    for word in text.split(separator: " ") {
        if !line.isEmpty && line.count + 1 + word.count > width { lines.append(line); line = "" }
        line += (line.isEmpty ? "" : " ") + word
        while line.count > width { lines.append(String(line.prefix(width))); line = String(line.dropFirst(width)) }
    }
    if !line.isEmpty { lines.append(line) }
    return lines
}
