import Dispatch
import FERData
import FERModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What trained networks (the teachers) answer for every training image: the soft targets a
/// distilled run blends into its labels (`--teacher`). Each teacher's probabilities are those
/// of the image and its mirror averaged (both are faces the training shows), softened by the
/// temperature, and the teachers are averaged with equal weight: an ensemble's answer, which
/// also says which classes a face could be confused with, where the label says only one.
///
/// Computed once before the first step, from the images as they are (not as each step
/// augments them), so a step costs no teacher inference and the run stays a pure function of
/// its seed and these targets.
public struct TeacherTargets: Sendable {
    /// `ModelShape.classes` probabilities per training image, in the split's order.
    public let probabilities: [Float]
    /// How many teachers were averaged.
    public let teacherCount: Int
    /// The share of training images whose label is the ensemble's most likely class.
    public let agreement: Double
    /// Wall time of the computation.
    public let seconds: Double

    /// Each teacher's answer for every image of `set`, averaged. `betweenChunks` is asked after
    /// every chunk of images; false stops the work (the result is then nil). Errors name the
    /// teacher's file.
    public static func compute(teachers: [String], set: ImageSet, temperature: Float, engine: Engine,
                               betweenChunks: () -> Bool = { true }) throws -> TeacherTargets? {
        precondition(!teachers.isEmpty, "distillation needs at least one teacher")
        precondition(temperature > 0, "the temperature must be positive")
        let started = DispatchTime.now().uptimeNanoseconds
        let classes = ModelShape.classes
        var sum = [Float](repeating: 0, count: set.count * classes)
        for path in teachers {
            let (teacher, _) = try RunDirectory.loadCheckpoint(path, engine: engine)
            guard add(teacher, on: set, temperature: temperature, into: &sum, betweenChunks: betweenChunks) else { return nil }
        }
        let scale = 1 / Float(teachers.count)
        let probabilities = sum.map { $0 * scale }
        var agreeing = 0
        for i in 0..<set.count where argmax(probabilities[(i * classes)..<((i + 1) * classes)]) == Int(set.labels[i]) {
            agreeing += 1
        }
        return TeacherTargets(probabilities: probabilities, teacherCount: teachers.count,
                              agreement: set.count > 0 ? Double(agreeing) / Double(set.count) : 0,
                              seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
    }

    /// Adds one teacher's mirror-averaged, tempered probabilities to `sum`; false if stopped.
    private static func add(_ teacher: Classifier, on set: ImageSet, temperature: Float, into sum: inout [Float],
                            betweenChunks: () -> Bool) -> Bool {
        let classes = ModelShape.classes, chunk = Evaluator.chunk
        let views = TestTimeAugmentation.mirror.views
        var buffer = [Float](repeating: 0, count: chunk * ImageSet.pixelsPerImage)
        var start = 0
        while start < set.count {
            let n = min(chunk, set.count - start)
            Evaluator.fill(&buffer, from: set, indices: start..<(start + n))
            let images = Array(buffer[0..<(n * ImageSet.pixelsPerImage)])
            for view in views {
                let rendered = Evaluator.rendered(images, count: n, view: view)
                let logits = rendered.withUnsafeBufferPointer { teacher.logits(images: $0, count: n) }
                let p = softmax(logits.map { $0 / temperature }, classes: classes)
                let weight = 1 / Float(views.count)
                for i in 0..<(n * classes) { sum[start * classes + i] += weight * p[i] }
            }
            start += n
            if start < set.count && !betweenChunks() { return false }
        }
        return true
    }

    /// The line a log shows: how many teachers, how far their answer matches the labels.
    public var summary: String {
        "\(teacherCount) teacher\(teacherCount == 1 ? "" : "s") answered for every training face in \(String(format: "%.0f", seconds)) s; their answer matches the label for \(String(format: "%.1f", agreement * 100)) % of them"
    }
}
