"""From an XRay to a Prediction: preprocessing, backends (ONNX Runtime, torch), the Predictor."""
