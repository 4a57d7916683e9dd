import EmotionTimeline
import Foundation

/// Why a video could not be read (or read further): names the file and, where it applies, the
/// time in the video, so a person knows which file and where.
public struct VideoError: Error, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable {
        case cannotOpen        // missing, unreadable, or not a container FFmpeg knows
        case noVideoStream     // e.g. audio only
        case unsupportedCodec  // the libraries lack a decoder for it (named in the message)
        case damaged           // a read or decode failed part-way
        case noFrames          // a video stream with no decodable frame
        case interrupted       // stopped from outside (the person quit, a stream timed out)
    }
    public var kind: Kind
    public var file: String
    /// Seconds into the video where it went wrong, when known.
    public var time: Double?
    public var message: String

    public init(_ kind: Kind, file: String, time: Double? = nil, message: String) {
        self.kind = kind; self.file = file; self.time = time; self.message = message
    }

    public var description: String {
        let at = time.map { " at \(TimeText.position($0))" } ?? ""
        return "\(file)\(at): \(message)"
    }
}
