/// A checkpoint that cannot be read: says what is wrong in words a person can act on.
public struct CheckpointError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
