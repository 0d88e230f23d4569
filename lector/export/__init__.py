"""Outputs from the document model: JSON, text, hOCR, ALTO and searchable PDFs (new, or a text layer on an existing PDF)."""
