"""The word net at inference: crop normalisation, ONNX Runtime, greedy CTC decoding with character spans and confidence."""
