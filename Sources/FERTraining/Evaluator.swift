import FERData
import FERModel
#if canImport(Glibc)
import Glibc
#endif

/// Test-time augmentation: the views of an image whose probabilities are averaged.
public enum TestTimeAugmentation: Sendable, Equatable {
    case none
    /// The image and its mirror image.
    case mirror
    /// The image and its mirror, each also shifted 2 px left, right, up and down: 10 views. The
    /// network trained on shifts of up to 4 px, so every view is a face of a kind it knows.
    case mirrorAndShifts

    public struct View: Equatable, Sendable {
        var dx: Int
        var dy: Int
        var mirrored: Bool
    }

    /// The views, the image itself first.
    public var views: [View] {
        let mirrors = self == .none ? [false] : [false, true]
        let shifts = self == .mirrorAndShifts ? [(0, 0), (2, 0), (-2, 0), (0, 2), (0, -2)] : [(0, 0)]
        return shifts.flatMap { s in mirrors.map { View(dx: s.0, dy: s.1, mirrored: $0) } }
    }
}

/// Runs a classifier over a whole split in bounded chunks.
public enum Evaluator {
    public static let chunk = 128

    public struct Result: Sendable {
        public var loss: Float
        public var confusion: ConfusionMatrix
        public var misclassified: [Int]
        /// Predicted class per sample, in order.
        public var predicted: [Int8]
    }

    /// Loss, confusion matrix and wrongly classified indices of a labelled split. With `tta`
    /// the probabilities of each image's views are averaged, and the loss is that of the averaged
    /// prediction.
    public static func evaluate(_ classifier: Classifier, on set: ImageSet,
                                tta: TestTimeAugmentation = .none) -> Result {
        evaluate(classifier, on: set, tta: tta, betweenChunks: { true })!
    }

    /// The same, calling `betweenChunks` after each chunk of `chunk` images: a long split (the
    /// 28,709 training faces take seconds) can then give way to other work on the same queue,
    /// such as a prediction the person is waiting for. When it returns false the evaluation
    /// stops there and the result is nil, never a partial one.
    public static func evaluate(_ classifier: Classifier, on set: ImageSet, tta: TestTimeAugmentation = .none,
                                betweenChunks: () -> Bool) -> Result? {
        evaluate(ensemble: [classifier], on: set, tta: tta, betweenChunks: betweenChunks)
    }

    /// An ensemble's score: each image's probabilities averaged over the classifiers (each
    /// over the views of `tta`), the loss that of the averaged prediction. One classifier
    /// scores exactly as `evaluate(_:on:tta:)` does.
    public static func evaluate(ensemble classifiers: [Classifier], on set: ImageSet, tta: TestTimeAugmentation = .none,
                                betweenChunks: () -> Bool = { true }) -> Result? {
        precondition(!classifiers.isEmpty, "an ensemble needs a classifier")
        var confusion = ConfusionMatrix()
        var misclassified: [Int] = []
        var predictedClasses: [Int8] = []
        predictedClasses.reserveCapacity(set.count)
        var lossSum = 0.0
        var buffer = [Float](repeating: 0, count: chunk * ImageSet.pixelsPerImage)
        var start = 0
        while start < set.count {
            let n = min(chunk, set.count - start)
            fill(&buffer, from: set, indices: start..<(start + n))
            let labels = (start..<(start + n)).map { Int32(set.labels[$0]) }
            let images = Array(buffer[0..<(n * ImageSet.pixelsPerImage)])
            let probabilities: [Float]
            if tta == .none && classifiers.count == 1 {
                let result = images.withUnsafeBufferPointer { classifiers[0].evaluate(images: $0, labels: labels) }
                probabilities = softmax(result.logits)
                lossSum += Double(result.loss) * Double(n)
            } else {
                probabilities = averagedProbabilities(classifiers, images: images, count: n, tta: tta)
                // The loss of the prediction actually made: cross-entropy of the averaged
                // probabilities (floored so one confident mistake cannot make it infinite).
                for i in 0..<n { lossSum -= log(Double(max(probabilities[i * ModelShape.classes + Int(labels[i])], 1e-30))) }
            }
            for i in 0..<n {
                let predicted = argmax(probabilities[(i * ModelShape.classes)..<((i + 1) * ModelShape.classes)])
                let truth = Int(labels[i])
                confusion.add(truth: truth, predicted: predicted)
                predictedClasses.append(Int8(predicted))
                if predicted != truth { misclassified.append(start + i) }
            }
            start += n
            if start < set.count && !betweenChunks() { return nil }
        }
        let loss = set.count == 0 ? Float.nan : Float(lossSum / Double(set.count))
        return Result(loss: loss, confusion: confusion, misclassified: misclassified, predicted: predictedClasses)
    }

    /// Softmax probabilities (7 per image) for the given 48×48 images (count × 2304 bytes).
    public static func probabilities(_ classifier: Classifier, pixels: [UInt8],
                                     tta: TestTimeAugmentation = .none) -> [Float] {
        let count = pixels.count / ImageSet.pixelsPerImage
        return averagedProbabilities(classifier, images: pixels.map { Float($0) / 255 }, count: count, tta: tta)
    }

    /// The mean over the classifiers of `averagedProbabilities(_:images:count:tta:)`.
    static func averagedProbabilities(_ classifiers: [Classifier], images: [Float], count: Int,
                                      tta: TestTimeAugmentation) -> [Float] {
        guard classifiers.count > 1 else { return averagedProbabilities(classifiers[0], images: images, count: count, tta: tta) }
        var sum = [Float](repeating: 0, count: count * ModelShape.classes)
        for classifier in classifiers {
            let p = averagedProbabilities(classifier, images: images, count: count, tta: tta)
            for i in sum.indices { sum[i] += p[i] }
        }
        let scale = 1 / Float(classifiers.count)
        return sum.map { $0 * scale }
    }

    /// The mean of the softmax probabilities over every view of `tta` (just the image for `.none`).
    static func averagedProbabilities(_ classifier: Classifier, images: [Float], count: Int,
                                      tta: TestTimeAugmentation) -> [Float] {
        var sum = [Float](repeating: 0, count: count * ModelShape.classes)
        let views = tta.views
        for v in views {
            let view = rendered(images, count: count, view: v)
            let p = view.withUnsafeBufferPointer { softmax(classifier.logits(images: $0, count: count)) }
            for i in sum.indices { sum[i] += p[i] }
        }
        let scale = 1 / Float(views.count)
        return sum.map { $0 * scale }
    }

    /// Saliency map (48×48, 0...1; see Classifier.saliency) of class `target` for one 48×48 image.
    /// `mirrorAverage` matches test-time augmentation: the mirror image's map, mirrored back,
    /// is averaged in, as its probabilities are.
    public static func saliency(_ classifier: Classifier, pixels: [UInt8], class target: Int, mirrorAverage: Bool = false) -> [Float] {
        let image = pixels.map { Float($0) / 255 }
        var map = image.withUnsafeBufferPointer { classifier.saliency(image: $0, class: target) }
        if mirrorAverage {
            let flip = TestTimeAugmentation.View(dx: 0, dy: 0, mirrored: true)
            let flipped = rendered(image, count: 1, view: flip)
            let other = rendered(flipped.withUnsafeBufferPointer { classifier.saliency(image: $0, class: target) },
                                 count: 1, view: flip)
            for i in map.indices { map[i] = (map[i] + other[i]) / 2 }
        }
        return map
    }

    /// Writes images `indices` of `set` into `buffer` as floats in [0, 1].
    public static func fill<C: Collection>(_ buffer: inout [Float], from set: ImageSet, indices: C) where C.Element == Int {
        let size = ImageSet.pixelsPerImage
        buffer.withUnsafeMutableBufferPointer { out in
            set.pixels.withUnsafeBufferPointer { px in
                for (slot, index) in indices.enumerated() {
                    let src = px.baseAddress! + index * size
                    let dst = out.baseAddress! + slot * size
                    for k in 0..<size { dst[k] = Float(src[k]) * (1 / 255) }
                }
            }
        }
    }

    /// One view of `count` images: mirrored first if asked, then shifted by (dx, dy) with the edge
    /// pixels repeated, as the training augmentation's borders are.
    static func render(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, count: Int,
                       view: TestTimeAugmentation.View) {
        let side = ImageSet.side
        for image in 0..<count {
            let src = source + image * side * side, dst = destination + image * side * side
            for y in 0..<side {
                let sy = min(max(y - view.dy, 0), side - 1)
                for x in 0..<side {
                    let sx = min(max(x - view.dx, 0), side - 1)
                    dst[y * side + x] = src[sy * side + (view.mirrored ? side - 1 - sx : sx)]
                }
            }
        }
    }

    /// `render` into a new array.
    static func rendered(_ images: [Float], count: Int, view: TestTimeAugmentation.View) -> [Float] {
        var out = [Float](repeating: 0, count: images.count)
        images.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { render(src.baseAddress!, into: $0.baseAddress!, count: count, view: view) }
        }
        return out
    }
}

/// Index of the largest element (first on ties).
public func argmax<C: Collection>(_ values: C) -> Int where C.Element == Float {
    var best = 0, bestValue = -Float.infinity
    for (i, v) in values.enumerated() where v > bestValue {
        best = i
        bestValue = v
    }
    return best
}
