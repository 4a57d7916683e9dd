import Dispatch
import FERData
import FERModel

/// Prepares training batches (gather + augmentation) on its own thread, one step ahead of the
/// training loop, into two alternating slots: the augmentation's warps then overlap the
/// engine's work instead of adding to each step.
///
/// A batch is a pure function of (sampler seed, augmentation seed, step), so preparing ahead,
/// preparing late or preparing again gives the same bytes: resumed runs stay exact.
/// Used by one training loop: `take`, `prepare` and `release` are called from that thread only.
final class BatchPreparer {
    final class Batch: @unchecked Sendable {   // unchecked: one owner at a time, handed over by `group` (the worker fills it between prepare and take's wait)
        let images: UnsafeMutablePointer<Float>
        let count: Int
        var labels: [Int32]
        /// With mixup: each image's partner label and the weight of its own (see `Mixup`).
        var mix: (partners: [Int32], weight: Float)?
        /// With teachers: each image's soft target (`ModelShape.classes` values), blended like
        /// its pixels when mixup pairs it.
        let soft: UnsafeMutablePointer<Float>
        var step = -1
        init(batchSize: Int) {
            count = batchSize * ImageSet.pixelsPerImage
            images = .allocate(capacity: count)
            images.initialize(repeating: 0, count: count)
            labels = [Int32](repeating: 0, count: batchSize)
            soft = .allocate(capacity: batchSize * ModelShape.classes)
            soft.initialize(repeating: 0, count: batchSize * ModelShape.classes)
        }
        deinit {
            images.deallocate()
            soft.deallocate()
        }
    }

    private let set: ImageSet
    private let sampler: BatchSampler
    private let augmentation: Augmentation
    private let mixup: Mixup
    private let seed: UInt64
    /// The teachers' answer per training image (`TeacherTargets.probabilities`), if distilling.
    private let targets: [Float]?
    private let queue = DispatchQueue(label: "ferdash.batches", qos: .userInitiated)
    private let group = DispatchGroup()
    private var free: [Batch]
    /// The batch being (or already) prepared ahead, if any.
    private var pending: Batch?

    init(set: ImageSet, sampler: BatchSampler, augmentation: Augmentation, mixup: Mixup = .none, seed: UInt64,
         targets: [Float]? = nil) {
        precondition(targets.map { $0.count == set.count * ModelShape.classes } ?? true, "one soft target per training image")
        self.targets = targets
        self.set = set
        self.sampler = sampler
        self.augmentation = augmentation
        self.mixup = mixup
        self.seed = seed
        free = [Batch(batchSize: sampler.batchSize), Batch(batchSize: sampler.batchSize)]
    }

    deinit { group.wait() }   // never free a slot the worker is still writing

    /// Starts preparing `step` in the background.
    func prepare(step: Int) {
        guard pending == nil, let slot = free.popLast() else { return }
        pending = slot
        queue.async(group: group) { [set, sampler, augmentation, mixup, seed, targets] in
            Self.fill(slot, step: step, set: set, sampler: sampler, augmentation: augmentation, mixup: mixup, seed: seed,
                      targets: targets)
        }
    }

    /// The batch for `step`: the one prepared ahead when it matches, otherwise built now.
    func take(step: Int) -> Batch {
        if let slot = pending {
            group.wait()
            pending = nil
            if slot.step == step { return slot }
            free.append(slot)
        }
        let slot = free.popLast()!
        Self.fill(slot, step: step, set: set, sampler: sampler, augmentation: augmentation, mixup: mixup, seed: seed,
                  targets: targets)
        return slot
    }

    /// Hands a batch back once the step has used it.
    func release(_ batch: Batch) { free.append(batch) }

    static func fill(_ slot: Batch, step: Int, set: ImageSet, sampler: BatchSampler, augmentation: Augmentation,
                     mixup: Mixup = .none, seed: UInt64, targets: [Float]? = nil) {
        let indices = sampler.indices(step: step)
        let size = ImageSet.pixelsPerImage
        set.pixels.withUnsafeBufferPointer { px in
            for (i, index) in indices.enumerated() {
                var rng = Augmentation.generator(seed: seed, step: step, slot: i)
                augmentation.apply(px.baseAddress! + index * size, into: slot.images + i * size, rng: &rng)
                slot.labels[i] = Int32(set.labels[index])
            }
        }
        slot.mix = nil
        if !mixup.isNone {
            var rng = Mixup.generator(seed: seed, step: step)
            let draw = mixup.draw(rng: &rng)
            let partners = Mixup.apply(draw, images: slot.images, pixels: size, labels: slot.labels)
            slot.mix = (partners, draw.weight)
        }
        if let targets { gatherSoftTargets(targets, indices: indices, into: slot) }
        slot.step = step
    }

    /// Each image's row of `targets`; with mixup, blended with its partner's row by the batch's
    /// weight, as the images and their labels are.
    private static func gatherSoftTargets(_ targets: [Float], indices: [Int], into slot: Batch) {
        let classes = ModelShape.classes
        targets.withUnsafeBufferPointer { t in
            for (i, index) in indices.enumerated() {
                let own = t.baseAddress! + index * classes
                let out = slot.soft + i * classes
                if let mix = slot.mix {
                    let partner = t.baseAddress! + indices[Mixup.Draw.partner(i, count: indices.count)] * classes
                    for c in 0..<classes { out[c] = mix.weight * own[c] + (1 - mix.weight) * partner[c] }
                } else {
                    for c in 0..<classes { out[c] = own[c] }
                }
            }
        }
    }
}
