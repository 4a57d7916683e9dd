import EmotionTimeline
import FERData

/// Probabilities with `emotion` at `strength` and the rest spread evenly.
func probabilities(_ emotion: Emotion, strength: Float = 0.8) -> [Float] {
    var p = [Float](repeating: (1 - strength) / 6, count: Emotion.allCases.count)
    p[emotion.rawValue] = strength
    return p
}

func face(_ id: Int, _ emotion: Emotion, strength: Float = 0.8,
          box: PixelRect = PixelRect(x: 100, y: 80, width: 60, height: 60)) -> FaceObservation {
    FaceObservation(faceID: id, box: box, confidence: 0.9, probabilities: probabilities(emotion, strength: strength))
}

/// Analysed frames at `fps` from `from` seconds for `seconds`, each holding what `faces` gives
/// for its time; frame numbers as if the stream ran at 30 fps.
func frames(fps: Double = 10, from: Double = 0, seconds: Double,
            _ faces: (Double) -> [FaceObservation]) -> [FrameAnalysis] {
    let first = Int((from * fps).rounded()), count = Int((seconds * fps).rounded())
    return (first..<first + count).map { i in
        let t = Double(i) / fps
        return FrameAnalysis(frame: Int((t * 30).rounded()), timestamp: t, faces: faces(t))
    }
}

/// The scripted sequence: one face, 3 s happy then 2 s sad, at 10 fps (50 frames, 0.0…4.9).
func happyThenSad() -> [FrameAnalysis] {
    frames(seconds: 5) { t in [face(0, t < 3 - 1e-9 ? .happy : .sad)] }
}
