// FaceDetection: see docs/DESIGN.md
import FERData
