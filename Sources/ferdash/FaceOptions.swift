import ArgumentParser
import ImagePrediction

struct FaceOptions: ParsableArguments {
    @Flag(help: "Skip face detection: the image already is a face crop (it is centre-cropped to a square).")
    var noDetect = false

    @Flag(help: "Report every face found, not only the largest.")
    var allFaces = false

    @Option(help: "Haar cascade XML for face detection (default: OpenCV's frontal face cascade from Debian's opencv-data).")
    var cascade: String?
}

extension FacePreparer {
    convenience init(options: FaceOptions) throws {
        try self.init(detect: !options.noDetect, allFaces: options.allFaces, cascade: options.cascade)
    }
}
