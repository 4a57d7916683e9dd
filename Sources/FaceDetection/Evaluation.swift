// The hot loop: running the cascade over every window position of one pyramid level.

/// The cascade as plain parallel arrays (struct-of-arrays, Int32 indices) so the inner loop
/// touches little memory and does no bounds checks beyond what the loader already proved.
struct FlatCascade: Sendable {
    let windowWidth: Int
    let windowHeight: Int
    let stageThreshold: [Double]
    let stageFirst: [Int32]
    let stageCount: [Int32]
    let classifierNode: [Int32]
    let classifierLeaf: [Int32]
    let nodeThreshold: [Double]
    let nodeLeft: [Int32]
    let nodeRight: [Int32]
    let leaves: [Double]
    /// Node-major feature data: each node carries its feature's rectangles inline (x, y, w, h ×
    /// 3; a two-rect feature's third is empty with weight 0), so evaluating a node is straight-line
    /// code with no lookup through a feature table and no branch on the rect count.
    let nodeRectGeometry: [Int32]
    let nodeRectWeight: [Double]
    /// Every weak classifier is a stump "0 -1 f t" (true of haarcascade_frontalface_default):
    /// classifier c is node c with leaves 2c and 2c+1, and a shorter loop applies.
    let allStumps: Bool

    init(_ c: HaarCascade) {
        windowWidth = c.windowWidth
        windowHeight = c.windowHeight
        stageThreshold = c.stages.map(\.threshold)
        stageFirst = c.stages.map { Int32($0.firstClassifier) }
        stageCount = c.stages.map { Int32($0.classifierCount) }
        classifierNode = c.classifierNodeStart.map { Int32($0) }
        classifierLeaf = c.classifierLeafStart.map { Int32($0) }
        nodeThreshold = c.nodes.map(\.threshold)
        nodeLeft = c.nodes.map { Int32($0.left) }
        nodeRight = c.nodes.map { Int32($0.right) }
        leaves = c.leaves
        var geometry: [Int32] = []
        var weights: [Double] = []
        geometry.reserveCapacity(12 * c.nodes.count)
        weights.reserveCapacity(3 * c.nodes.count)
        for node in c.nodes {
            let first = c.featureRectStart[node.feature], end = c.featureRectStart[node.feature + 1]
            for k in 0..<3 {
                if first + k < end {
                    let r = c.rects[first + k]
                    geometry += [Int32(r.x), Int32(r.y), Int32(r.width), Int32(r.height)]
                    weights.append(r.weight)
                } else {
                    geometry += [0, 0, 0, 0]
                    weights.append(0)
                }
            }
        }
        nodeRectGeometry = geometry
        nodeRectWeight = weights
        allStumps = c.nodes.count == c.classifierNodeStart.count
            && c.nodes.allSatisfy { $0.left == 0 && $0.right == -1 }
            && c.classifierNodeStart.enumerated().allSatisfy { $0.element == $0.offset }
            && c.classifierLeafStart.enumerated().allSatisfy { $0.element == 2 * $0.offset }
    }

    /// The four corner offsets of every node's rects for a table with this row stride:
    /// precomputed once per level so a rect sum is four loads relative to the window origin.
    func rectOffsets(stride: Int) -> [Int32] {
        var offsets = [Int32](repeating: 0, count: nodeRectGeometry.count)
        for r in 0..<(nodeRectGeometry.count / 4) {
            let x = Int(nodeRectGeometry[4 * r]), y = Int(nodeRectGeometry[4 * r + 1])
            let w = Int(nodeRectGeometry[4 * r + 2]), h = Int(nodeRectGeometry[4 * r + 3])
            let a = y * stride + x
            offsets[4 * r] = Int32(a)
            offsets[4 * r + 1] = Int32(a + w)
            offsets[4 * r + 2] = Int32(a + h * stride)
            offsets[4 * r + 3] = Int32(a + h * stride + w)
        }
        return offsets
    }

    /// Evaluates the cascade at one window with top-left (x, y). Returns the last stage's margin
    /// (sum − threshold) when all stages pass, nil on rejection. For tests and probes; `scan`
    /// is the fast path.
    func evaluate(_ integral: IntegralImage, x: Int, y: Int) -> Double? {
        let offsets = rectOffsets(stride: integral.stride)
        var result: Double?
        withTables(integral, offsets) { t in
            var margin = 0.0
            if t.window(origin: y * integral.stride + x, margin: &margin) == t.stages { result = margin }
        }
        return result
    }

    /// Slides the window over the whole table with `step`, calling `hit` for accepted windows.
    /// With `skipAfterFirstStageReject`, a window rejected by the very first stage also skips
    /// the next position in its row (as OpenCV does): such windows sit on background, and their
    /// neighbours almost always fail too, so this saves a large share of the work while a face
    /// still gathers plenty of hits.
    func scan(_ integral: IntegralImage, step: Int, skipAfterFirstStageReject: Bool = true,
              hit: (_ x: Int, _ y: Int, _ margin: Double) -> Void) {
        guard integral.width >= windowWidth, integral.height >= windowHeight else { return }
        let offsets = rectOffsets(stride: integral.stride)
        let skip = skipAfterFirstStageReject ? step : 0
        withTables(integral, offsets) { t in
            var y = 0
            var margin = 0.0
            while y + windowHeight <= integral.height {
                var x = 0
                let row = y * integral.stride
                while x + windowWidth <= integral.width {
                    let passed = t.window(origin: row + x, margin: &margin)
                    if passed == t.stages { hit(x, y, margin) } else if passed == 0 { x += skip }
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
        nodeThreshold.withUnsafeBufferPointer { nodeThreshold in
        nodeLeft.withUnsafeBufferPointer { nodeLeft in
        nodeRight.withUnsafeBufferPointer { nodeRight in
        leaves.withUnsafeBufferPointer { leaves in
        nodeRectWeight.withUnsafeBufferPointer { weight in
            // Normalisation over the window inset by one pixel, as OpenCV does (the border
            // pixels of training crops were unreliable).
            let s = integral.stride
            let n0 = s + 1, n1 = n0 + (windowWidth - 2)
            let n2 = n0 + (windowHeight - 2) * s, n3 = n2 + (windowWidth - 2)
            body(Tables(sum: sum.baseAddress!, square: square.baseAddress!, offsets: offsets.baseAddress!,
                        weight: weight.baseAddress!,
                        stageThreshold: stageThreshold.baseAddress!, stageFirst: stageFirst.baseAddress!,
                        stageCount: stageCount.baseAddress!, classifierNode: classifierNode.baseAddress!,
                        classifierLeaf: classifierLeaf.baseAddress!,
                        nodeThreshold: nodeThreshold.baseAddress!, nodeLeft: nodeLeft.baseAddress!,
                        nodeRight: nodeRight.baseAddress!, leaves: leaves.baseAddress!,
                        stages: stageThreshold.count, allStumps: allStumps,
                        norm: (n0, n1, n2, n3),
                        normArea: Double((windowWidth - 2) * (windowHeight - 2))))
        }}}}}}}}}}}}}
    }

    /// Raw pointers into all tables for the duration of one scan.
    private struct Tables {
        let sum: UnsafePointer<Int32>
        let square: UnsafePointer<Double>
        let offsets: UnsafePointer<Int32>
        let weight: UnsafePointer<Double>
        let stageThreshold: UnsafePointer<Double>
        let stageFirst: UnsafePointer<Int32>
        let stageCount: UnsafePointer<Int32>
        let classifierNode: UnsafePointer<Int32>
        let classifierLeaf: UnsafePointer<Int32>
        let nodeThreshold: UnsafePointer<Double>
        let nodeLeft: UnsafePointer<Int32>
        let nodeRight: UnsafePointer<Int32>
        let leaves: UnsafePointer<Double>
        let stages: Int
        let allStumps: Bool
        let norm: (Int, Int, Int, Int)
        let normArea: Double

        /// Weighted sum of the node's (up to three) rectangle sums at window origin `p`.
        @inline(__always)
        func feature(_ node: Int, _ p: Int) -> Double {
            let o = offsets + 12 * node, w = weight + 3 * node
            let r0 = sum[p + Int(o[3])] &- sum[p + Int(o[1])] &- sum[p + Int(o[2])] &+ sum[p + Int(o[0])]
            let r1 = sum[p + Int(o[7])] &- sum[p + Int(o[5])] &- sum[p + Int(o[6])] &+ sum[p + Int(o[4])]
            let r2 = sum[p + Int(o[11])] &- sum[p + Int(o[9])] &- sum[p + Int(o[10])] &+ sum[p + Int(o[8])]
            return w[0] * Double(r0) + w[1] * Double(r1) + w[2] * Double(r2)
        }

        /// Runs the stages at window origin `p`; returns how many passed (`stages` = accepted,
        /// then `margin` holds the last stage's sum minus its threshold).
        @inline(__always)
        func window(origin p: Int, margin: inout Double) -> Int {
            let areaSum = Double(sum[p + norm.3] &- sum[p + norm.1] &- sum[p + norm.2] &+ sum[p + norm.0])
            let areaSquare = square[p + norm.3] - square[p + norm.1] - square[p + norm.2] + square[p + norm.0]
            // area·Σx² − (Σx)² = area²·variance; its root scales the thresholds so features
            // respond to contrast, not to brightness or exposure. Flat windows get 1.
            let v = normArea * areaSquare - areaSum * areaSum
            let norm = v > 0 ? v.squareRoot() : 1
            for stage in 0..<stages {
                var total = 0.0
                let first = Int(stageFirst[stage])
                let end = first + Int(stageCount[stage])
                if allStumps {
                    for c in first..<end {
                        let value = feature(c, p)
                        total += value < nodeThreshold[c] * norm ? leaves[2 * c] : leaves[2 * c + 1]
                    }
                } else {
                    for c in first..<end {
                        var node = Int(classifierNode[c])
                        let nodeBase = node
                        let leafBase = Int(classifierLeaf[c])
                        while true {
                            let value = feature(node, p)
                            let next = Int(value < nodeThreshold[node] * norm ? nodeLeft[node] : nodeRight[node])
                            if next <= 0 {
                                total += leaves[leafBase - next]
                                break
                            }
                            node = nodeBase + next
                        }
                    }
                }
                let m = total - stageThreshold[stage]
                if m < 0 { return stage }
                margin = m
            }
            return stages
        }
    }
}
