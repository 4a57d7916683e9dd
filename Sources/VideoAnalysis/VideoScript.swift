import Foundation
import FaceDetection
import FERData

/// A scripted video of synthetic faces: what each face shows and when. The tests, `ferdash synth
/// --video` and `bench --video` make their videos from one, so what the analysis should find is
/// known exactly.
///
/// Text form: one timeline per face, separated by `;`; a timeline is `EMOTION:SECONDS` spans
/// separated by `,`, with `none` for a stretch in which that face is absent. For example
/// `happy:3,none:1,sad:3;none:4,surprise:3` is a face that is happy for 3 s, gone for 1 s, sad
/// for 3 s, and a second face that enters at 4 s, surprised.
public struct VideoScript: Sendable, Equatable {
    public struct Span: Sendable, Equatable {
        /// nil: the face is absent.
        public var emotion: Emotion?
        public var seconds: Double
        public init(_ emotion: Emotion?, seconds: Double) { self.emotion = emotion; self.seconds = seconds }
    }

    public var faces: [[Span]]
    public init(faces: [[Span]]) { self.faces = faces }

    /// The longest face timeline: the video's length.
    public var duration: Double { faces.map { $0.reduce(0) { $0 + $1.seconds } }.max() ?? 0 }

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    public init(parsing text: String) throws {
        var faces: [[Span]] = []
        for (f, timeline) in text.split(separator: ";", omittingEmptySubsequences: false).enumerated() {
            var spans: [Span] = []
            for part in timeline.split(separator: ",", omittingEmptySubsequences: false) {
                let fields = part.trimmingCharacters(in: .whitespaces).split(separator: ":")
                guard fields.count == 2, let seconds = Double(fields[1]), seconds > 0, seconds <= 86_400 else {
                    throw ParseError(description: "script, face \(f + 1): '\(part)' is not EMOTION:SECONDS (e.g. happy:3 or none:1.5)")
                }
                let name = String(fields[0]).lowercased()
                if name == "none" {
                    spans.append(Span(nil, seconds: seconds))
                } else if let emotion = Emotion.allCases.first(where: { $0.name == name }) {
                    spans.append(Span(emotion, seconds: seconds))
                } else {
                    throw ParseError(description: "script, face \(f + 1): '\(name)' is not an emotion "
                                     + "(\(Emotion.allCases.map(\.name).joined(separator: ", ")) or none)")
                }
            }
            faces.append(spans)
        }
        guard !faces.isEmpty, faces.count <= 4 else {
            throw ParseError(description: "script: 1 to 4 faces, separated by ';'")
        }
        self.faces = faces
    }

    /// What face `index` shows at `time` (nil when absent or past its timeline).
    public func emotion(face index: Int, at time: Double) -> Emotion? {
        var start = 0.0
        for span in faces[index] {
            if time >= start && time < start + span.seconds { return span.emotion }
            start += span.seconds
        }
        return nil
    }
}

/// Draws a scripted video's frames: a soft gradient background and each present face, enlarged
/// from the synthetic generator's 48×48, drifting a few pixels so the tracker has motion to follow.
public struct ScriptedFrames: Sendable {
    public let script: VideoScript
    public let width: Int
    public let height: Int
    /// The side of each face in the frame.
    public let faceSide: Int
    private let background: [UInt8]
    private var faceCache: [Int: [UInt8]] = [:]

    /// With a `detector`, each face's look is chosen among the generator's so that the detector
    /// finds it (about 40% of the synthetic faces are too cartoonish for OpenCV's cascade): a
    /// scripted video then tests the analysis, not the cascade's taste.
    public init(script: VideoScript, width: Int, height: Int, detector: FaceDetector? = nil) {
        self.script = script
        self.width = width
        self.height = height
        faceSide = max(24, min(width / (script.faces.count + 1), height * 2 / 5))
        var bg = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width { bg[y * width + x] = UInt8(70 + 50 * x / max(1, width) + 30 * y / max(1, height)) }
        }
        background = bg
        if let detector { chooseDetectableLooks(detector) }
    }

    private var seeds: [Int: UInt64] = [:]

    private mutating func chooseDetectableLooks(_ detector: FaceDetector) {
        // Along the face's drift, as the video's own full searches (the quick pass) see it, and
        // as the local search that follows it frames it: a box within an eighth of the drawn
        // square, so the crop the network is given is the picture it was trained on.
        let times = [0.0, 0.8, 1.6, 2.4, 3.2, 4.0]
        let finder = VideoFaceFinder(detector: detector, minimumConfidence: 0, fullInterval: 1, searchInterval: 1)
        let slack = faceSide / 8
        for index in script.faces.indices {
            for emotion in Set(script.faces[index].compactMap(\.emotion)).sorted(by: { $0.rawValue < $1.rawValue }) {
                let key = index * 16 + emotion.rawValue
                var best: (seed: UInt64, found: Int)?
                for attempt in 0..<40 {
                    let seed = UInt64(1000 + key + 64 * attempt)
                    seeds[key] = seed
                    faceCache[key] = nil
                    let face = enlargedFace(emotion, face: index)
                    let found = times.filter { t in
                        let (x0, y0) = position(face: index, at: t)
                        var picture = background
                        paste(face, at: (x0, y0), into: &picture)
                        let box = PixelRect(x: x0, y: y0, width: faceSide, height: faceSide)
                        let image = GrayImage(width: width, height: height, pixels: picture)
                        guard detector.detect(in: image, pass: .quick).contains(where: { overlap($0.box, box) > 0.5 }),
                              let framed = finder.findNear(box, in: image)?.box else { return false }
                        return abs(framed.width - faceSide) <= slack && abs(framed.x - x0) <= slack && abs(framed.y - y0) <= slack
                    }.count
                    if found > (best?.found ?? -1) { best = (seed, found) }
                    if found == times.count { break }
                }
                seeds[key] = best?.seed
                faceCache[key] = nil
            }
        }
    }

    private func paste(_ face: [UInt8], at origin: (x: Int, y: Int), into pixels: inout [UInt8]) {
        for y in 0..<faceSide {
            let dst = (origin.y + y) * width + origin.x
            for x in 0..<faceSide { pixels[dst + x] = face[y * faceSide + x] }
        }
    }

    /// Where face `index` is at `time` (top-left), in frame pixels.
    public func position(face index: Int, at time: Double) -> (x: Int, y: Int) {
        let slots = script.faces.count
        let centreX = width * (2 * index + 1) / (2 * slots)
        let drift = 6 * sin(time * 1.3 + Double(index))
        let x = centreX - faceSide / 2 + Int(drift.rounded())
        let y = height / 2 - faceSide / 2 + Int((3 * cos(time * 0.9)).rounded())
        return (min(max(0, x), width - faceSide), min(max(0, y), height - faceSide))
    }

    /// The frame at `time`, gray, row-major.
    public mutating func frame(at time: Double) -> [UInt8] {
        var pixels = background
        for index in script.faces.indices {
            guard let emotion = script.emotion(face: index, at: time) else { continue }
            paste(enlargedFace(emotion, face: index), at: position(face: index, at: time), into: &pixels)
        }
        return pixels
    }

    /// The 48×48 synthetic face that face `index` shows while it shows `emotion`: what a
    /// network trained on the built-in faces would be given for it outside a video.
    public func look(face index: Int, emotion: Emotion) -> GrayImage {
        let key = index * 16 + emotion.rawValue
        return SyntheticFaces.face(emotion, seed: seeds[key] ?? UInt64(1000 + key))
    }

    /// One fixed face per (face, emotion): the same person keeps the same look within a span.
    private mutating func enlargedFace(_ emotion: Emotion, face index: Int) -> [UInt8] {
        let key = index * 16 + emotion.rawValue
        if let cached = faceCache[key] { return cached }
        let small = look(face: index, emotion: emotion)
        let big = Resample.resize(small, rect: PixelRect(x: 0, y: 0, width: ImageSet.side, height: ImageSet.side), width: faceSide, height: faceSide)
        faceCache[key] = big
        return big
    }

    /// `pixels` (width × height) turned `degrees` counter-clockwise (0, 90, 180 or 270): how a
    /// sideways phone stores what it shows.
    public static func rotated(_ pixels: [UInt8], width: Int, height: Int, counterClockwise degrees: Int) -> [UInt8] {
        switch degrees {
        case 90:   // out is height wide, width tall: out(x, y) = in(width-1-y, x)
            var out = [UInt8](repeating: 0, count: pixels.count)
            for y in 0..<width { for x in 0..<height { out[y * height + x] = pixels[x * width + (width - 1 - y)] } }
            return out
        case 180:
            return pixels.reversed()
        case 270:  // out(x, y) = in(y, height-1-x)
            var out = [UInt8](repeating: 0, count: pixels.count)
            for y in 0..<width { for x in 0..<height { out[y * height + x] = pixels[(height - 1 - x) * width + y] } }
            return out
        default:
            return pixels
        }
    }
}
