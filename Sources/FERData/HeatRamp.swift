/// The saliency colour ramp, shared by `predict --explain` images and the dashboard overlay so
/// both say "hot" in the same colours: black-blue → purple → red → orange → yellow-white
/// (perceptually increasing brightness, readable to most colour-blind viewers, like "inferno").
public enum HeatRamp {
    /// Anchor colours at 0, 0.25, 0.5, 0.75 and 1.
    static let stops: [(Float, Float, Float)] = [
        (10, 7, 40), (100, 20, 110), (200, 45, 70), (245, 130, 20), (252, 240, 140),
    ]

    /// RGB for a value in 0...1 (clamped), linear between the anchors.
    public static func rgb(_ value: Float) -> (r: UInt8, g: UInt8, b: UInt8) {
        let v = max(0, min(1, value.isNaN ? 0 : value)) * Float(stops.count - 1)
        let i = min(Int(v), stops.count - 2), f = v - Float(i)
        let a = stops[i], b = stops[i + 1]
        func mix(_ x: Float, _ y: Float) -> UInt8 { UInt8((x + (y - x) * f).rounded()) }
        return (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }
}
