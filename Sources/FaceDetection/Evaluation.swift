// The hot loop: running the cascade over every window position of one pyramid level.

/// The cascade as plain parallel arrays (struct-of-arrays, Int32 indices) so the inner loop
/// touches little memory and does no bounds checks beyond what the loader already proved.
struct FlatCascade {
    let windowWidth: Int
    let windowHeight: Int
    let stageThreshold: [Double]
    let stageFirst: [Int32]
    let stageCount: [Int32]
    let classifierNode: [Int32]
    let classifierLeaf: [Int32]
    let nodeFeature: [Int32]
    let nodeThreshold: [Double]
    let nodeLeft: [Int32]
    let nodeRight: [Int32]
    let leaves: [Double]
    let featureRectStart: [Int32]
    let rectWeight: [Double]
    /// Rect geometry (x, y, w, h per rect), turned into integral-image offsets per level.
    let rectGeometry: [Int32]

    init(_ c: HaarCascade) {
        windowWidth = c.windowWidth
        windowHeight = c.windowHeight
        stageThreshold = c.stages.map(\.threshold)
        stageFirst = c.stages.map { Int32($0.firstClassifier) }
        stageCount = c.stages.map { Int32($0.classifierCount) }
        classifierNode = c.classifierNodeStart.map { Int32($0) }
        classifierLeaf = c.classifierLeafStart.map { Int32($0) }
        nodeFeature = c.nodes.map { Int32($0.feature) }
        nodeThreshold = c.nodes.map(\.threshold)
        nodeLeft = c.nodes.map { Int32($0.left) }
        nodeRight = c.nodes.map { Int32($0.right) }
        leaves = c.leaves
        featureRectStart = c.featureRectStart.map { Int32($0) }
        rectWeight = c.rects.map(\.weight)
        rectGeometry = c.rects.flatMap { [Int32($0.x), Int32($0.y), Int32($0.width), Int32($0.height)] }
    }

    /// The four corner offsets of every feature rect for a table with this row stride:
    /// precomputed once per level so a rect sum is four loads relative to the window origin.
    func rectOffsets(stride: Int) -> [Int32] {
        var offsets = [Int32](repeating: 0, count: rectGeometry.count)
        for r in 0..<(rectGeometry.count / 4) {
            let x = Int(rectGeometry[4 * r]), y = Int(rectGeometry[4 * r + 1])
            let w = Int(rectGeometry[4 * r + 2]), h = Int(rectGeometry[4 * r + 3])
            let a = y * stride + x
            offsets[4 * r] = Int32(a)
            offsets[4 * r + 1] = Int32(a + w)
            offsets[4 * r + 2] = Int32(a + h * stride)
            offsets[4 * r + 3] = Int32(a + h * stride + w)
        }
        return offsets
    }

    /// Evaluates the cascade at one window whose top-left is at table offset `origin`. Returns
    /// the last stage's margin (sum − threshold) when all stages pass, nil on rejection.
    /// Exposed separately from `scan` so tests can probe single windows.
    func evaluate(_ integral: IntegralImage, x: Int, y: Int) -> Double? {
        let offsets = rectOffsets(stride: integral.stride)
        var result: Double?
        withTables(integral, offsets) { t in result = t.window(origin: y * integral.stride + x) }
        return result
    }

    /// Slides the window over the whole table with `step`, calling `hit` for accepted windows.
    func scan(_ integral: IntegralImage, step: Int, hit: (_ x: Int, _ y: Int, _ margin: Double) -> Void) {
        guard integral.width >= windowWidth, integral.height >= windowHeight else { return }
        let offsets = rectOffsets(stride: integral.stride)
        withTables(integral, offsets) { t in
            var y = 0
            while y + windowHeight <= integral.height {
                var x = 0
                let row = y * integral.stride
                while x + windowWidth <= integral.width {
                    if let margin = t.window(origin: row + x) { hit(x, y, margin) }
                    x += step
                }
                y += step
            }
        }
    }

    private func withTables(_ integral: IntegralImage, _ offsets: [Int32], _ body: (Tables) -> Void) {
        integral.sum.withUnsafeBufferPointer { sum in
        integral.squareSum.withUnsafeBufferPointer { square in
        offsets.withUnsafeBufferPointer { offsets in
        stageThreshold.withUnsafeBufferPointer { stageThreshold in
        stageFirst.withUnsafeBufferPointer { stageFirst in
        stageCount.withUnsafeBufferPointer { stageCount in
        classifierNode.withUnsafeBufferPointer { classifierNode in
        classifierLeaf.withUnsafeBufferPointer { classifierLeaf in
        nodeFeature.withUnsafeBufferPointer { nodeFeature in
        nodeThreshold.withUnsafeBufferPointer { nodeThreshold in
        nodeLeft.withUnsafeBufferPointer { nodeLeft in
        nodeRight.withUnsafeBufferPointer { nodeRight in
        leaves.withUnsafeBufferPointer { leaves in
        featureRectStart.withUnsafeBufferPointer { featureRectStart in
        rectWeight.withUnsafeBufferPointer { rectWeight in
            // Normalisation over the window inset by one pixel, as OpenCV does (the border
            // pixels of training crops were unreliable).
            let s = integral.stride
            let n0 = s + 1, n1 = n0 + (windowWidth - 2)
            let n2 = n0 + (windowHeight - 2) * s, n3 = n2 + (windowWidth - 2)
            body(Tables(sum: sum.baseAddress!, square: square.baseAddress!, offsets: offsets.baseAddress!,
                        stageThreshold: stageThreshold.baseAddress!, stageFirst: stageFirst.baseAddress!,
                        stageCount: stageCount.baseAddress!, classifierNode: classifierNode.baseAddress!,
                        classifierLeaf: classifierLeaf.baseAddress!, nodeFeature: nodeFeature.baseAddress!,
                        nodeThreshold: nodeThreshold.baseAddress!, nodeLeft: nodeLeft.baseAddress!,
                        nodeRight: nodeRight.baseAddress!, leaves: leaves.baseAddress!,
                        featureRectStart: featureRectStart.baseAddress!, rectWeight: rectWeight.baseAddress!,
                        stages: stageThreshold.count,
                        norm: (n0, n1, n2, n3),
                        normArea: Double((windowWidth - 2) * (windowHeight - 2))))
        }}}}}}}}}}}}}}}
    }

    /// Raw pointers into all tables for the duration of one scan.
    private struct Tables {
        let sum: UnsafePointer<Int32>
        let square: UnsafePointer<Double>
        let offsets: UnsafePointer<Int32>
        let stageThreshold: UnsafePointer<Double>
        let stageFirst: UnsafePointer<Int32>
        let stageCount: UnsafePointer<Int32>
        let classifierNode: UnsafePointer<Int32>
        let classifierLeaf: UnsafePointer<Int32>
        let nodeFeature: UnsafePointer<Int32>
        let nodeThreshold: UnsafePointer<Double>
        let nodeLeft: UnsafePointer<Int32>
        let nodeRight: UnsafePointer<Int32>
        let leaves: UnsafePointer<Double>
        let featureRectStart: UnsafePointer<Int32>
        let rectWeight: UnsafePointer<Double>
        let stages: Int
        let norm: (Int, Int, Int, Int)
        let normArea: Double

        @inline(__always)
        func window(origin p: Int) -> Double? {
            let areaSum = Double(sum[p + norm.3] &- sum[p + norm.1] &- sum[p + norm.2] &+ sum[p + norm.0])
            let areaSquare = square[p + norm.3] - square[p + norm.1] - square[p + norm.2] + square[p + norm.0]
            // area·Σx² − (Σx)² = area²·variance; its root scales the thresholds so features
            // respond to contrast, not to brightness or exposure. Flat windows get 1.
            let v = normArea * areaSquare - areaSum * areaSum
            let norm = v > 0 ? v.squareRoot() : 1
            var margin = 0.0
            for stage in 0..<stages {
                var total = 0.0
                let first = Int(stageFirst[stage])
                for c in first..<(first + Int(stageCount[stage])) {
                    var node = Int(classifierNode[c])
                    let nodeBase = node
                    let leafBase = Int(classifierLeaf[c])
                    while true {
                        let f = Int(nodeFeature[node])
                        var value = 0.0
                        for r in Int(featureRectStart[f])..<Int(featureRectStart[f + 1]) {
                            let o = offsets + 4 * r
                            let rectSum = sum[p + Int(o[3])] &- sum[p + Int(o[1])] &- sum[p + Int(o[2])] &+ sum[p + Int(o[0])]
                            value += rectWeight[r] * Double(rectSum)
                        }
                        let next = Int(value < nodeThreshold[node] * norm ? nodeLeft[node] : nodeRight[node])
                        if next <= 0 {
                            total += leaves[leafBase - next]
                            break
                        }
                        node = nodeBase + next
                    }
                }
                margin = total - stageThreshold[stage]
                if margin < 0 { return nil }
            }
            return margin
        }
    }
}
