/// Resizing a crop to the network's 48×48. Separable: each axis gets its own weight table, so a
/// non-square crop or a crop that is larger on one axis and smaller on the other still works.
public enum Resample {
    /// Each output sample as source indices and weights summing to 1.
    struct Taps { var index: [Int]; var weight: [Float]; var offsets: [Int] }

    /// Shrinking: exact box filter. Output cell i covers source [i·s, (i+1)·s) with s = src/dst;
    /// whole pixels inside count 1, the pixels cut by the cell edges count by their covered fraction.
    /// Growing: bilinear between pixel centres (a box filter would just repeat pixels).
    static func taps(source: Int, destination: Int) -> Taps {
        var taps = Taps(index: [], weight: [], offsets: [0])
        let s = Double(source) / Double(destination)
        for i in 0..<destination {
            if source >= destination {
                let a = Double(i) * s, b = Double(i + 1) * s
                var j = Int(a.rounded(.down))
                while Double(j) < b && j < source {
                    let overlap = min(b, Double(j + 1)) - max(a, Double(j))
                    if overlap > 1e-9 {
                        taps.index.append(j)
                        taps.weight.append(Float(overlap / s))
                    }
                    j += 1
                }
            } else {
                let x = min(max((Double(i) + 0.5) * s - 0.5, 0), Double(source - 1))
                let j = Int(x.rounded(.down))
                let f = x - Double(j)
                taps.index.append(j)
                taps.weight.append(Float(1 - f))
                if f > 0 && j + 1 < source {
                    taps.index.append(j + 1)
                    taps.weight.append(Float(f))
                }
            }
            taps.offsets.append(taps.index.count)
        }
        return taps
    }

    public static func resize(_ image: GrayImage, rect: PixelRect, width: Int, height: Int) -> [UInt8] {
        let tx = taps(source: rect.width, destination: width)
        let ty = taps(source: rect.height, destination: height)
        // Horizontal pass over the crop's rows into floats, then the vertical pass.
        var rows = [Float](repeating: 0, count: rect.height * width)
        image.pixels.withUnsafeBufferPointer { src in
            for y in 0..<rect.height {
                let row = (y + rect.y) * image.width + rect.x
                for ox in 0..<width {
                    var sum: Float = 0
                    for t in tx.offsets[ox]..<tx.offsets[ox + 1] { sum += tx.weight[t] * Float(src[row + tx.index[t]]) }
                    rows[y * width + ox] = sum
                }
            }
        }
        var out = [UInt8](repeating: 0, count: width * height)
        for oy in 0..<height {
            for ox in 0..<width {
                var sum: Float = 0
                for t in ty.offsets[oy]..<ty.offsets[oy + 1] { sum += ty.weight[t] * rows[ty.index[t] * width + ox] }
                out[oy * width + ox] = UInt8(min(max(sum.rounded(), 0), 255))
            }
        }
        return out
    }
}
