import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The built-in dataset: procedural 48×48 faces in the seven expressions.
///
/// Every face is drawn from a handful of expression cues (brow height and slant, eye openness,
/// mouth curve, opening and width, a lip asymmetry and nose wrinkles for disgust) on top of random
/// identity (face shape, size, position, tilt, skin and background tone, lighting, noise, the odd
/// occlusion). The cues of a class are scaled by a per-face strength and jittered per cue, so weak
/// expressions drift towards neutral and neighbouring classes overlap: fear and surprise share wide
/// eyes and an open mouth, anger and disgust share lowered brows, sad and fear share raised inner
/// brows. That keeps the task learnable but not trivially separable.
///
/// Measured with the seed network (engine from main, batch 128, Adam 1e-3, L2 1e-2, seed 0):
/// validation accuracy 50% after 100 steps, 81% after 300, 87.5% after 1000; the largest
/// confusions are anger↔disgust (18 and 26 of ~150), then neutral→sad and fear↔surprise.
/// Tuning knobs: `ExpressionCues.prototype` (how far apart the classes are), the strength range
/// and per-cue jitter in `ExpressionCues.sample` (overlap), and the identity ranges at the top of
/// `FaceRenderer.render` (nuisance). Keep the features thick: with the seed's L2 term a network
/// fed sub-pixel features never leaves chance (the first version of this generator stayed at 16%).
public enum SyntheticFaces {
    /// `count` faces, deterministic from `seed`: pixels (count × 2304) and labels.
    /// Face i depends only on (seed, i), so generation runs in parallel and any prefix is stable.
    public static func generate(count: Int, seed: UInt64) -> ImageSet {
        guard count > 0 else { return ImageSet() }
        let imageBytes = ImageSet.pixelsPerImage
        var labels = [Int8](repeating: 0, count: count)
        let pixels = [UInt8](unsafeUninitializedCapacity: count * imageBytes) { dst, initialized in
            let base = dst.baseAddress!
            labels.withUnsafeMutableBufferPointer { lab in
                let labBase = lab.baseAddress!
                let workers = max(1, min(onlineProcessorCount(), 8))
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    var i = w
                    while i < count {
                        var rng = SplitMix64(seed: seed &* 0x2545_F491_4F6C_DD1D &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15)
                        let emotion = Emotion(rawValue: rng.below(7))!
                        FaceRenderer.render(emotion, rng: &rng, into: base + i * imageBytes)
                        labBase[i] = Int8(emotion.rawValue)
                        i += workers
                    }
                }
            }
            initialized = count * imageBytes
        }
        return ImageSet(pixels: pixels, labels: labels)
    }

    /// The default built-in dataset: 6000 train / 1000 validation / 1000 test, all labelled.
    public static func builtIn(seed: UInt64 = 2018) -> Dataset {
        builtIn(seed: seed, train: 6000, validation: 1000, test: 1000)
    }

    public static func builtIn(seed: UInt64, train: Int, validation: Int, test: Int) -> Dataset {
        // Separate streams per split, so changing one split's size leaves the others alone.
        Dataset(name: "built-in synthetic faces",
                train: generate(count: train, seed: seed),
                validation: generate(count: validation, seed: seed ^ 0x5641_4C49_4441_5445),
                test: generate(count: test, seed: seed ^ 0x0054_4553_5453_4554))
    }

    /// One face of a chosen class (for previews and the sample assets).
    public static func face(_ emotion: Emotion, seed: UInt64) -> GrayImage {
        var rng = SplitMix64(seed: seed)
        var pixels = [UInt8](repeating: 0, count: ImageSet.pixelsPerImage)
        pixels.withUnsafeMutableBufferPointer { FaceRenderer.render(emotion, rng: &rng, into: $0.baseAddress!) }
        return GrayImage(width: ImageSet.side, height: ImageSet.side, pixels: pixels)
    }
}

/// Expression cues in face units (the face spans u, v ∈ [-1, 1], v down).
struct ExpressionCues {
    var browHeight: Float   // brow centre above the eye line
    var browSlant: Float    // inner end lowered (+, anger) or raised (−, sad/fear)
    var eyeOpen: Float      // 0 shut … 1 wide
    var smile: Float        // corners up (+) or down (−)
    var mouthOpen: Float    // gap between the lips at the centre
    var mouthWidth: Float   // half width
    var asymmetry: Float    // one mouth corner raised (disgust's sneer)
    var wrinkle: Float      // nose-wrinkle line strength
    var teeth: Float        // brightness of the mouth opening (teeth shown vs dark cavity)

    static let neutral = ExpressionCues(browHeight: 0.24, browSlant: 0, eyeOpen: 0.55, smile: 0, mouthOpen: 0,
                                        mouthWidth: 0.38, asymmetry: 0, wrinkle: 0, teeth: 0)

    static func prototype(_ e: Emotion) -> ExpressionCues {
        var c = neutral
        switch e {
        case .anger: c.browHeight = 0.11; c.browSlant = 0.14; c.eyeOpen = 0.42; c.smile = -0.06; c.mouthWidth = 0.32; c.mouthOpen = 0.04; c.teeth = 0.7; c.wrinkle = 0.4
        case .disgust: c.browHeight = 0.14; c.browSlant = 0.08; c.eyeOpen = 0.3; c.smile = -0.1; c.asymmetry = 0.1; c.wrinkle = 1.2; c.mouthOpen = 0.06
        case .fear: c.browHeight = 0.36; c.browSlant = -0.1; c.eyeOpen = 1.0; c.smile = -0.05; c.mouthOpen = 0.16; c.mouthWidth = 0.46
        case .happy: c.eyeOpen = 0.35; c.smile = 0.2; c.mouthOpen = 0.13; c.mouthWidth = 0.52; c.teeth = 1
        case .sad: c.browHeight = 0.26; c.browSlant = -0.12; c.eyeOpen = 0.32; c.smile = -0.17; c.mouthWidth = 0.34
        case .surprise: c.browHeight = 0.4; c.browSlant = -0.03; c.eyeOpen = 1.05; c.mouthOpen = 0.3; c.mouthWidth = 0.3
        case .neutral: break
        }
        return c
    }

    /// The prototype pulled towards neutral by a per-face strength, each cue scaled on its own and
    /// jittered, so two faces of one class never show the expression the same way.
    static func sample(_ e: Emotion, rng: inout SplitMix64) -> ExpressionCues {
        let p = prototype(e), n = neutral
        let strength = rng.uniform(0.5, 1.25)
        func cue(_ target: Float, _ base: Float, _ sigma: Float) -> Float {
            base + (target - base) * strength * rng.uniform(0.6, 1.4) + sigma * rng.gaussian()
        }
        return ExpressionCues(
            browHeight: cue(p.browHeight, n.browHeight, 0.035),
            browSlant: cue(p.browSlant, n.browSlant, 0.035),
            eyeOpen: min(max(cue(p.eyeOpen, n.eyeOpen, 0.14), 0.05), 1.2),
            smile: cue(p.smile, n.smile, 0.045),
            mouthOpen: max(cue(p.mouthOpen, n.mouthOpen, 0.025), 0),
            mouthWidth: max(cue(p.mouthWidth, n.mouthWidth, 0.045), 0.15),
            asymmetry: cue(p.asymmetry, n.asymmetry, 0.03) * (rng.unit() < 0.5 ? -1 : 1),
            wrinkle: max(cue(p.wrinkle, n.wrinkle, 0.35), 0),
            teeth: min(max(cue(p.teeth, n.teeth, 0.3), 0), 1))
    }
}

/// Draws one face: identity and cues → 2304 pixels.
enum FaceRenderer {
    static func render(_ emotion: Emotion, rng: inout SplitMix64, into out: UnsafeMutablePointer<UInt8>) {
        let cues = ExpressionCues.sample(emotion, rng: &rng)

        // Identity and framing.
        let cx = 24 + rng.gaussian() * 0.8, cy = 25.5 + rng.gaussian() * 0.8
        let halfWidth = rng.uniform(18, 20.5)
        let halfHeight = halfWidth * rng.uniform(1.1, 1.3)
        let tilt = rng.gaussian() * 0.06
        let cosT = cosf(tilt), sinT = sinf(tilt)
        let skin = rng.uniform(120, 200)
        let background = rng.uniform(40, 210)
        let bgSlope = rng.uniform(-2.5, 2.5), bgSlopeY = rng.uniform(-2.5, 2.5)
        let lightAngle = rng.uniform(0, 2 * .pi)
        let lightStrength = rng.uniform(0, 25)
        let lx = cosf(lightAngle), ly = sinf(lightAngle)
        let hairTone = rng.uniform(10, 90)
        let hairLine = rng.uniform(-0.85, -0.55)
        let hasHair = rng.unit() < 0.8
        let featureDark = rng.uniform(0.6, 0.9)     // how dark features are relative to the skin
        let noise = rng.uniform(2, 8)
        let eyeSpacing = rng.uniform(0.33, 0.43)
        let eyeLine = rng.uniform(-0.2, -0.06)
        let mouthLine = rng.uniform(0.42, 0.56)
        let gaze = rng.gaussian() * 0.03

        // The odd occlusion: a hand, a strand of hair, a mug, sunglasses.
        let occlusionKind = rng.unit()
        var occ = (x0: Float(0), y0: Float(0), x1: Float(-1), y1: Float(-1), tone: Float(0))
        if occlusionKind < 0.05 { // sunglasses: hides eyes, sometimes brows
            occ = (cx - halfWidth * 0.85, cy + halfHeight * (eyeLine - 0.14), cx + halfWidth * 0.85,
                   cy + halfHeight * (eyeLine + 0.12), rng.uniform(5, 40))
        } else if occlusionKind < 0.13 { // a block over part of the face
            let w = rng.uniform(8, 20), h = rng.uniform(8, 20)
            let x0 = rng.uniform(4, 44 - w), y0 = rng.uniform(4, 44 - h)
            occ = (x0, y0, x0 + w, y0 + h, rng.uniform(20, 235))
        }

        let eyeHalfW: Float = 0.19
        let eyeHalfH = 0.03 + 0.12 * cues.eyeOpen
        let browHalfLen: Float = 0.19
        let browThick: Float = 0.09
        let lipThick: Float = 0.045
        let aaU = 1 / halfWidth, aaV = 1 / halfHeight   // one pixel in face units
        let darkTone = skin * (1 - featureDark)

        for y in 0..<48 {
            for x in 0..<48 {
                let px = Float(x) + 0.5, py = Float(y) + 0.5
                let dx = px - cx, dy = py - cy
                let u = (dx * cosT + dy * sinT) / halfWidth
                let v = (-dx * sinT + dy * cosT) / halfHeight
                var value = background + bgSlope * (px - 24) + bgSlopeY * (py - 24)

                let r = (u * u + v * v).squareRoot()
                let faceCover = coverage((r - 1) / aaU)
                if faceCover > 0 {
                    var face = skin + lightStrength * (u * lx + v * ly) * 0.5
                    // Hair over the forehead.
                    if hasHair { face = mix(face, hairTone, coverage((v - hairLine) / aaV * 1.5 + 0.3 * u * u / aaV)) }
                    let au = abs(u)
                    let side: Float = u < 0 ? -1 : 1

                    // Brows: a thick segment whose inner end moves by browSlant.
                    let browCentreV = eyeLine - cues.browHeight
                    let t = (au - eyeSpacing) / browHalfLen          // -1 inner … +1 outer
                    if t > -1.3 && t < 1.3 {
                        let browV = browCentreV + cues.browSlant * (-t) * 0.5 + 0.03 * t * t
                        let d = max(abs(v - browV) - browThick * 0.5, 0) / aaV + max(abs(t) - 1, 0) * browHalfLen / aaU
                        face = mix(face, darkTone * 0.8, coverage(d - 0.5) * 0.9)
                    }
                    // Eyes: an almond of sclera with a dark iris; height follows eyeOpen.
                    let eu = (au - eyeSpacing) / eyeHalfW, ev = (v - eyeLine) / eyeHalfH
                    let er = eu * eu + ev * ev
                    if er < 2.5 {
                        let edge = (er.squareRoot() - 1) * min(eyeHalfW / aaU, eyeHalfH / aaV)
                        let eyeCover = coverage(edge)
                        let iu = (u - side * eyeSpacing - gaze) / 0.07
                        let iris = coverage(((iu * iu + ev * ev * 0.6).squareRoot() - 1) * 0.07 / aaU)
                        let eyeValue = mix(min(skin + 35, 250), darkTone * 0.4, iris)
                        face = mix(face, eyeValue, eyeCover)
                        // Lid line: a dark outline that stays visible even on a shut eye.
                        face = mix(face, darkTone, coverage(abs(edge) - 0.3) * 0.5)
                    }
                    // Nose: a soft shadow line and nostrils; disgust adds wrinkles beside it.
                    if v > eyeLine + 0.05 && v < mouthLine - 0.08 {
                        let noseShade = coverage((abs(u + 0.06) - 0.03) / aaU) * 0.25
                        face = mix(face, darkTone, noseShade)
                        if cues.wrinkle > 0.05 {
                            let wv = eyeLine + 0.16
                            let wr = abs(v - wv - (au - 0.12) * 0.5)
                            if au > 0.08 && au < 0.22 {
                                face = mix(face, darkTone, coverage(wr / aaV - 0.5) * min(cues.wrinkle, 1.5) * 0.45)
                            }
                        }
                    }
                    let nv = mouthLine - 0.13
                    let nostril = ((au - 0.09) / 0.05) * ((au - 0.09) / 0.05) + ((v - nv) / 0.035) * ((v - nv) / 0.035)
                    if nostril < 2 { face = mix(face, darkTone, coverage((nostril.squareRoot() - 1) * 0.035 / aaV) * 0.6) }

                    // Mouth: the upper lip follows a parabola through the corners; the lower lip sits
                    // mouthOpen below it at the centre, closing towards the corners (a lens).
                    let mw = cues.mouthWidth
                    let mu = u / mw
                    if abs(mu) < 1.35 && abs(v - mouthLine) < 0.4 {
                        let q = min(mu * mu, 1.0)
                        let cornerLift = cues.smile + cues.asymmetry * mu
                        let upper = mouthLine - cornerLift * q + cues.smile * 0.35
                        let lower = upper + 1.3 * cues.mouthOpen * (1 - q)
                        let outside = max(abs(mu) - 1, 0) * mw / aaU
                        if cues.mouthOpen > 0.01 {
                            let inside = max(upper - v, v - lower) / aaV
                            let cavity = coverage(max(inside, outside))
                            let cavityTone = mix(darkTone * 0.15, min(skin + 50, 250), cues.teeth * 0.85)
                            face = mix(face, cavityTone, cavity)
                        }
                        let lipUpper = abs(v - upper) - lipThick
                        let lipLower = abs(v - lower) - lipThick
                        let lip = coverage(max(min(lipUpper, lipLower) / aaV, outside))
                        face = mix(face, darkTone * 0.9, lip * 0.85)
                    }
                    value = mix(value, face, faceCover)
                }
                if px >= occ.x0 && px < occ.x1 && py >= occ.y0 && py < occ.y1 {
                    value = occ.tone + 0.06 * (value - occ.tone)  // nearly opaque: a little texture shows through
                }
                // Sensor noise: a triangular distribution, cheap and close enough to Gaussian.
                value += noise * (rng.unit() + rng.unit() - 1) * 1.7
                out[y * 48 + x] = UInt8(min(max(value.rounded(), 0), 255))
            }
        }
    }

    /// Fraction of a pixel covered by a shape, from its signed distance in pixels (negative inside).
    @inline(__always)
    static func coverage(_ signedDistance: Float) -> Float { min(max(0.5 - signedDistance, 0), 1) }

    @inline(__always)
    static func mix(_ a: Float, _ b: Float, _ t: Float) -> Float { a + (b - a) * t }
}

extension SyntheticFaces {
    /// A preview grid: one row per class (label order), `perClass` faces each, pixels repeated
    /// `scale` times, with a 2-pixel mid-gray gutter so neighbouring faces stay distinct.
    public static func contactSheet(perClass: Int = 8, seed: UInt64 = 2018, scale: Int = 2) -> GrayImage {
        let cell = ImageSet.side * scale, gutter = 2
        let width = perClass * (cell + gutter) + gutter
        let height = Emotion.allCases.count * (cell + gutter) + gutter
        var pixels = [UInt8](repeating: 128, count: width * height)
        for emotion in Emotion.allCases {
            for column in 0..<perClass {
                let f = face(emotion, seed: seed &+ UInt64(emotion.rawValue * 1000 + column))
                let ox = gutter + column * (cell + gutter), oy = gutter + emotion.rawValue * (cell + gutter)
                for y in 0..<cell {
                    for x in 0..<cell {
                        pixels[(oy + y) * width + ox + x] = f.pixels[(y / scale) * ImageSet.side + x / scale]
                    }
                }
            }
        }
        return GrayImage(width: width, height: height, pixels: pixels)
    }
}
