"""Evaluation on datasets in the ../shared/evaldata format: end-to-end bag-of-words and CER, detector coverage, the word net on crop sets, confidence-bucket tuning."""
