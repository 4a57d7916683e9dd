// Grouping raw window hits into faces. A real face fires many overlapping windows at nearby
// positions and scales; isolated hits are mostly false positives. So: cluster similar boxes,
// keep clusters with enough members, average each into one box.

/// One accepted window, in image coordinates; `margin` is how far the last stage's sum
/// cleared its threshold (bigger means more face-like).
struct Hit: Equatable {
    var x: Double, y: Double, width: Double, height: Double
    var margin: Double
}

/// A group of hits that became one detection.
struct HitCluster: Equatable {
    var x: Double, y: Double, width: Double, height: Double
    /// Number of hits in the cluster (the hit itself plus its neighbours).
    var count: Int
    /// Largest last-stage margin among the members.
    var bestMargin: Double
}

/// Two boxes are "the same face" when each of their four edges differs by at most `eps` times
/// their mean smaller side: tolerant to the sliding-window step, strict about scale jumps.
@inline(__always)
func similar(_ a: Hit, _ b: Hit, eps: Double) -> Bool {
    let delta = eps * (min(a.width, b.width) + min(a.height, b.height)) * 0.5
    return abs(a.x - b.x) <= delta && abs(a.y - b.y) <= delta
        && abs(a.x + a.width - b.x - b.width) <= delta
        && abs(a.y + a.height - b.y - b.height) <= delta
}

/// Clusters hits by transitive similarity, keeps clusters with more than `minNeighbors` members
/// (so each kept hit has at least `minNeighbors` neighbours, OpenCV's meaning), averages their
/// boxes, and drops a cluster lying inside a larger, better-supported one (a face's eye or
/// mouth region sometimes fires on its own at small scales).
func groupHits(_ hits: [Hit], minNeighbors: Int, eps: Double = 0.2) -> [HitCluster] {
    guard !hits.isEmpty else { return [] }
    // Union–find with path halving; O(n²) pair tests are fine for the hundreds of hits a photo gives.
    var parent = Array(0..<hits.count)
    func find(_ i: Int) -> Int {
        var i = i
        while parent[i] != i {
            parent[i] = parent[parent[i]]
            i = parent[i]
        }
        return i
    }
    for i in 0..<hits.count {
        for j in (i + 1)..<hits.count where similar(hits[i], hits[j], eps: eps) {
            let ri = find(i), rj = find(j)
            if ri != rj { parent[max(ri, rj)] = min(ri, rj) }
        }
    }
    var sums: [Int: HitCluster] = [:]
    var order: [Int] = []
    for (i, h) in hits.enumerated() {
        let root = find(i)
        if var c = sums[root] {
            c.x += h.x; c.y += h.y; c.width += h.width; c.height += h.height
            c.count += 1
            c.bestMargin = max(c.bestMargin, h.margin)
            sums[root] = c
        } else {
            sums[root] = HitCluster(x: h.x, y: h.y, width: h.width, height: h.height, count: 1, bestMargin: h.margin)
            order.append(root)
        }
    }
    var clusters: [HitCluster] = order.compactMap { root in
        guard var c = sums[root], c.count > minNeighbors else { return nil }
        let n = Double(c.count)
        c.x /= n; c.y /= n; c.width /= n; c.height /= n
        return c
    }
    // Suppress clusters nested in a stronger one.
    clusters = clusters.enumerated().filter { (i, inner) in
        !clusters.enumerated().contains { (j, outer) in
            guard i != j, outer.width > inner.width,
                  outer.count > inner.count || (outer.count == inner.count && outer.bestMargin > inner.bestMargin)
            else { return false }
            let dx = outer.width * 0.2, dy = outer.height * 0.2
            return inner.x >= outer.x - dx && inner.y >= outer.y - dy
                && inner.x + inner.width <= outer.x + outer.width + dx
                && inner.y + inner.height <= outer.y + outer.height + dy
        }
    }.map { $0.element }
    return clusters
}
