// Summed-area tables: any rectangle's pixel sum (and sum of squares) in four lookups.

/// Integral image and squared integral image of an 8-bit image, with a zero first row and
/// column so `sum(x, y, w, h)` needs no edge cases. Entry (x, y) holds the sum over all pixels
/// left of x and above y.
struct IntegralImage {
    let width: Int
    let height: Int
    /// Row stride of both tables: width + 1.
    let stride: Int
    /// Pixel sums. Int32 is exact while width·height·255 < 2³¹, i.e. up to ~8.4 megapixels; the
    /// detector never builds one larger than its working size (≈1 MP).
    var sum: [Int32]
    /// Squared sums exceed 32 bits quickly (255² per pixel), so these are Doubles (exact to 2⁵³).
    var squareSum: [Double]

    static let maxPixels = Int(Int32.max) / 255

    /// `squares: false` leaves `squareSum` empty (the resampling source needs only sums).
    init(pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int, squares: Bool = true) {
        precondition(width >= 0 && height >= 0 && pixels.count >= width * height)
        precondition(width * height <= Self.maxPixels, "integral image too large for Int32 sums")
        self.width = width
        self.height = height
        stride = width + 1
        let count = (width + 1) * (height + 1)
        var sum = [Int32](repeating: 0, count: count)
        var square = [Double](repeating: 0, count: squares ? count : 0)
        let stride = self.stride
        sum.withUnsafeMutableBufferPointer { s in
            square.withUnsafeMutableBufferPointer { q in
                for y in 0..<height {
                    // Running row sums plus the row above: one pass, no second sweep.
                    var rowSum: Int32 = 0
                    var rowSquare: Double = 0
                    let src = y * width
                    let above = y * stride
                    let here = above + stride
                    for x in 0..<width {
                        let p = Int32(pixels[src + x])
                        rowSum &+= p
                        rowSquare += Double(p * p)
                        s[here + x + 1] = s[above + x + 1] &+ rowSum
                        if squares { q[here + x + 1] = q[above + x + 1] + rowSquare }
                    }
                }
            }
        }
        self.sum = sum
        self.squareSum = square
    }

    init(image: [UInt8], width: Int, height: Int, squares: Bool = true) {
        self = image.withUnsafeBufferPointer { IntegralImage(pixels: $0, width: width, height: height, squares: squares) }
    }

    /// Sum of the pixels in [x, x+w) × [y, y+h); the rectangle must lie inside the image.
    func sum(x: Int, y: Int, width w: Int, height h: Int) -> Int {
        let a = y * stride + x, b = a + w, c = a + h * stride, d = c + w
        return Int(sum[d]) - Int(sum[b]) - Int(sum[c]) + Int(sum[a])
    }

    /// Sum of the squared pixels in the rectangle.
    func squareSum(x: Int, y: Int, width w: Int, height h: Int) -> Double {
        let a = y * stride + x, b = a + w, c = a + h * stride, d = c + w
        return squareSum[d] - squareSum[b] - squareSum[c] + squareSum[a]
    }
}
