"""Word Detector: MSER regions in both polarities, grouped into words, segments (one recognizer crop each) and lines."""
