import ArgumentParser
import FERData
import Foundation

struct FaceOptions: ParsableArguments {
    @Flag(help: "Skip face detection: the image already is a face crop (it is centre-cropped to a square).")
    var noDetect = false

    @Flag(help: "Report every face found, not only the largest.")
    var allFaces = false

    @Option(help: "Haar cascade XML for face detection (default: OpenCV's frontal face cascade from Debian's opencv-data).")
    var cascade: String?
}

/// One 48×48 network input cut from an image file.
struct PreparedFace {
    var pixels: [UInt8]
    /// Where the face was found; nil for the centre-crop fallback.
    var box: PixelRect?
    var confidence: Double?
}

struct PreparedImage {
    var width: Int
    var height: Int
    var faces: [PreparedFace]
    /// Said to the person, e.g. that no face was found and the centre crop was used.
    var note: String?
}

/// Image file → what the network sees: decode, find faces, crop with a margin, resize to 48×48.
struct FacePreparer {
    let options: FaceOptions

    init(options: FaceOptions) throws {
        self.options = options
    }

    func prepare(path: String) throws -> PreparedImage {
        let image = try ImageFile.readGray(path: path)
        let centre = PreparedFace(pixels: ImageFile.faceInput(from: image), box: nil, confidence: nil)
        return PreparedImage(width: image.width, height: image.height, faces: [centre],
                             note: options.noDetect ? nil : "face detection not available; centre crop")
    }
}
