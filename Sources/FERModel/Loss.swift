#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-image target distributions blended into the labels' targets: `rows` holds `classes`
/// probabilities per image of the batch, `weight` is their share of each target.
public struct SoftTargets {
    public let rows: UnsafePointer<Float>
    public let weight: Float
    public init(rows: UnsafePointer<Float>, weight: Float) {
        self.rows = rows
        self.weight = weight
    }
}

enum Loss {
    /// Mean softmax cross-entropy over the batch; writes dL/dlogits = (softmax − target)/N.
    /// Shifted by the row max and accumulated in Double so ±1e4 logits stay finite.
    /// With `smoothing` ε the target is (1 − ε)·one-hot + ε/classes (label smoothing: the model
    /// is not pushed toward infinite logits on FER2013's many ambiguous labels).
    /// With `mix` (mixup) row r's one-hot is itself a blend: weight·one-hot(labels[r]) +
    /// (1 − weight)·one-hot(partners[r]), smoothed as above.
    /// With `soft` (distillation), row r's target is then (1 − weight)·that + weight·soft row r,
    /// a distribution of `classes` values the caller gives (the teachers' answer for the image).
    static func softmaxCrossEntropy(logits: UnsafePointer<Float>, labels: [Int32], classes: Int,
                                    gradient: UnsafeMutablePointer<Float>?, smoothing: Double = 0,
                                    mix: (partners: [Int32], weight: Float)? = nil,
                                    soft: SoftTargets? = nil) -> Double {
        let offTarget = smoothing / Double(classes), onTarget = 1 - smoothing + offTarget
        let n = labels.count
        precondition(mix.map { $0.partners.count == n } ?? true, "one partner label per row")
        var target = [Double](repeating: offTarget, count: classes)
        var total = 0.0
        for r in 0..<n {
            let row = logits + r * classes
            let label = Int(labels[r])
            precondition(label >= 0 && label < classes, "label \(label) outside 0..<\(classes)")
            var mx = Double(row[0])
            for c in 1..<classes { mx = max(mx, Double(row[c])) }
            var sum = 0.0
            for c in 0..<classes { sum += exp(Double(row[c]) - mx) }
            let logSum = log(sum)
            for c in 0..<classes { target[c] = c == label ? onTarget : offTarget }
            if let mix {
                let partner = Int(mix.partners[r])
                precondition(partner >= 0 && partner < classes, "label \(partner) outside 0..<\(classes)")
                let w = Double(mix.weight), kept = 1 - smoothing
                for c in 0..<classes { target[c] = offTarget }
                target[label] += kept * w
                target[partner] += kept * (1 - w)
            }
            if let soft {
                let w = Double(soft.weight), row = soft.rows + r * classes
                for c in 0..<classes { target[c] = (1 - w) * target[c] + w * Double(row[c]) }
            }
            if smoothing == 0 && mix == nil && soft == nil {
                total += logSum - (Double(row[label]) - mx)
            } else {
                // −Σ t·log p with log p_c = row[c] − mx − logSum.
                for c in 0..<classes { total -= target[c] * (Double(row[c]) - mx - logSum) }
            }
            if let gradient {
                let g = gradient + r * classes
                for c in 0..<classes {
                    let p = exp(Double(row[c]) - mx - logSum)
                    g[c] = Float((p - target[c]) / Double(n))
                }
            }
        }
        return total / Double(n)
    }

    /// The seed's regulariser: l2 × Σ w²/2 over the decayed tensors (conv weights and biases).
    /// With `addGradient`, adds l2·w to their gradients.
    static func l2(_ parameters: [Parameter], strength: Float, addGradient: Bool) -> Double {
        var total = 0.0
        for p in parameters where p.decayed {
            let w = p.value.pointer, g = p.grad.pointer
            var s = 0.0
            for i in 0..<p.count { s += Double(w[i]) * Double(w[i]) }
            total += s / 2
            if addGradient { for i in 0..<p.count { g[i] += strength * w[i] } }
        }
        return Double(strength) * total
    }
}

/// Numerically stable softmax over rows of `classes` logits.
public func softmax(_ logits: [Float], classes: Int = ModelShape.classes) -> [Float] {
    precondition(classes > 0 && logits.count % classes == 0, "logits must be whole rows")
    var out = [Float](repeating: 0, count: logits.count)
    for r in 0..<(logits.count / classes) {
        let base = r * classes
        var mx = -Double.infinity
        for c in 0..<classes { mx = max(mx, Double(logits[base + c])) }
        var sum = 0.0
        for c in 0..<classes { sum += exp(Double(logits[base + c]) - mx) }
        for c in 0..<classes { out[base + c] = Float(exp(Double(logits[base + c]) - mx) / sum) }
    }
    return out
}
