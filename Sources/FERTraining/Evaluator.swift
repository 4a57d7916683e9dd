import FERData
import FERModel
#if canImport(Glibc)
import Glibc
#endif

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

    /// Loss, confusion matrix and wrongly classified indices of a labelled split.
    /// `mirrorAverage` averages the probabilities of each image and its mirror image (test-time augmentation).
    public static func evaluate(_ classifier: Classifier, on set: ImageSet, mirrorAverage: Bool = false) -> Result {
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
            var probabilities: [Float]
            let result = buffer.withUnsafeBufferPointer {
                classifier.evaluate(images: UnsafeBufferPointer(rebasing: $0[0..<(n * ImageSet.pixelsPerImage)]), labels: labels)
            }
            probabilities = softmax(result.logits)
            if mirrorAverage {
                mirror(&buffer, count: n)
                let mirrored = buffer.withUnsafeBufferPointer {
                    classifier.logits(images: UnsafeBufferPointer(rebasing: $0[0..<(n * ImageSet.pixelsPerImage)]), count: n)
                }
                let p2 = softmax(mirrored)
                for i in probabilities.indices { probabilities[i] = (probabilities[i] + p2[i]) / 2 }
                // The loss of the prediction actually made: cross-entropy of the averaged
                // probabilities (floored so one confident mistake cannot make it infinite).
                for i in 0..<n { lossSum -= log(Double(max(probabilities[i * 7 + Int(labels[i])], 1e-30))) }
            } else {
                lossSum += Double(result.loss) * Double(n)
            }
            for i in 0..<n {
                let predicted = argmax(probabilities[(i * 7)..<(i * 7 + 7)])
                let truth = Int(labels[i])
                confusion.add(truth: truth, predicted: predicted)
                predictedClasses.append(Int8(predicted))
                if predicted != truth { misclassified.append(start + i) }
            }
            start += n
        }
        let loss = set.count == 0 ? Float.nan : Float(lossSum / Double(set.count))
        return Result(loss: loss, confusion: confusion, misclassified: misclassified, predicted: predictedClasses)
    }

    /// Softmax probabilities (7 per image) for the given 48×48 images (count × 2304 bytes).
    public static func probabilities(_ classifier: Classifier, pixels: [UInt8], mirrorAverage: Bool = false) -> [Float] {
        let count = pixels.count / ImageSet.pixelsPerImage
        var images = pixels.map { Float($0) / 255 }
        var p = images.withUnsafeBufferPointer { softmax(classifier.logits(images: $0, count: count)) }
        if mirrorAverage {
            mirror(&images, count: count)
            let p2 = images.withUnsafeBufferPointer { softmax(classifier.logits(images: $0, count: count)) }
            for i in p.indices { p[i] = (p[i] + p2[i]) / 2 }
        }
        return p
    }

    /// Saliency map (48×48, 0...1; see Classifier.saliency) of class `target` for one 48×48 image.
    /// `mirrorAverage` matches test-time augmentation: the mirror image's map, mirrored back,
    /// is averaged in, as its probabilities are.
    public static func saliency(_ classifier: Classifier, pixels: [UInt8], class target: Int, mirrorAverage: Bool = false) -> [Float] {
        var image = pixels.map { Float($0) / 255 }
        var map = image.withUnsafeBufferPointer { classifier.saliency(image: $0, class: target) }
        if mirrorAverage {
            mirror(&image, count: 1)
            var other = image.withUnsafeBufferPointer { classifier.saliency(image: $0, class: target) }
            mirror(&other, count: 1)
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

    static func mirror(_ buffer: inout [Float], count: Int) {
        let side = ImageSet.side
        for image in 0..<count {
            for row in 0..<side {
                let base = image * side * side + row * side
                for col in 0..<(side / 2) { buffer.swapAt(base + col, base + side - 1 - col) }
            }
        }
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
