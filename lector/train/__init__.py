"""Training the word net with PyTorch: model, loop with exact resume, real crops, fine-tuning, ONNX export. Never imported by inference."""
