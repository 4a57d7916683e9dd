/// The built-in dataset: procedural 48×48 faces in the seven expressions.
public enum SyntheticFaces {
    /// `count` faces, deterministic from `seed`: pixels (count × 2304) and labels.
    public static func generate(count: Int, seed: UInt64) -> ImageSet { fatalError("not implemented") }
    /// The default built-in dataset (train / validation / test splits).
    public static func builtIn(seed: UInt64 = 2018) -> Dataset { fatalError("not implemented") }
}
