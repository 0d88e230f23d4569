"""The word net at inference: crop normalisation, ONNX Runtime, CTC decoding (greedy or beam) with character spans, text likelihoods and calibrated confidence."""
