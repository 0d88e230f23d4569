"""After recognition: re-assembly of chopped crops and the Wordinator (one box per word from the CTC alignment)."""
