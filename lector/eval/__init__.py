"""Evaluation on datasets in the ../shared/evaldata format: end-to-end bag-of-words and CER, detector coverage, threshold sweeps."""
