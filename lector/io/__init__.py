"""Decoding inputs (images, PDFs) into page images, with limits checked before decoding."""
