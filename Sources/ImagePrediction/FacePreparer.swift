import FaceDetection
import FERData
import Foundation

/// One 48×48 network input cut from an image file.
public struct PreparedFace: Sendable {
    public var pixels: [UInt8]
    /// Where the face was found; nil for the centre-crop fallback.
    public var box: PixelRect?
    public var confidence: Double?

    public init(pixels: [UInt8], box: PixelRect? = nil, confidence: Double? = nil) {
        self.pixels = pixels; self.box = box; self.confidence = confidence
    }
}

public struct PreparedImage: Sendable {
    public var width: Int
    public var height: Int
    public var faces: [PreparedFace]
    /// Said to the person, e.g. that no face was found and the centre crop was used.
    public var note: String?

    public init(width: Int, height: Int, faces: [PreparedFace], note: String? = nil) {
        self.width = width; self.height = height; self.faces = faces; self.note = note
    }
}

/// Image file → what the network sees: decode, find faces, crop with a margin, resize to 48×48.
public final class FacePreparer {
    /// Detections below this are mostly collars and shadows (measured: faces 0.93–0.99, false hits 0.10–0.45).
    public static let minimumConfidence = 0.6
    /// FER2013's crops show the whole face with a little around it; the cascade's box is tighter.
    public static let margin = 0.15

    /// Every face found, or only the largest (said in the note when there were more).
    public let allFaces: Bool
    private var detector: FaceDetector?

    /// `detect: false` takes each image as a face crop already (centre-cropped to a square);
    /// `cascade` is a Haar cascade XML (nil: OpenCV's frontal face cascade).
    public init(detect: Bool = true, allFaces: Bool = false, cascade: String? = nil) throws {
        self.allFaces = allFaces
        // Load the cascade up front (≈0.1 s) so a missing one is reported before any work.
        if detect { detector = try FaceDetector(cascadePath: cascade) }
    }

    public func prepare(path: String) throws -> PreparedImage {
        let image = try ImageFile.readGray(path: path)
        guard let detector else {
            return PreparedImage(width: image.width, height: image.height, faces: [centreCrop(image)], note: nil)
        }
        let found = detector.detect(in: image).filter { $0.confidence >= Self.minimumConfidence }
        guard !found.isEmpty else {
            return PreparedImage(width: image.width, height: image.height, faces: [centreCrop(image)],
                                 note: "no face found; used the centre crop")
        }
        let chosen = allFaces ? found : [found[0]]
        let faces = chosen.map { face -> PreparedFace in
            let crop = faceCrop(face.box, margin: Self.margin, imageWidth: image.width, imageHeight: image.height)
            return PreparedFace(pixels: ImageFile.faceInput(from: image, crop: crop), box: face.box, confidence: face.confidence)
        }
        let note = found.count > 1 && !allFaces ? "\(found.count) faces found; the largest is shown (--all-faces for all)" : nil
        return PreparedImage(width: image.width, height: image.height, faces: faces, note: note)
    }

    private func centreCrop(_ image: GrayImage) -> PreparedFace {
        PreparedFace(pixels: ImageFile.faceInput(from: image), box: nil, confidence: nil)
    }
}
