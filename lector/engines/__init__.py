"""OCR engines behind one interface (`Engine`), so evaluation and later the service treat them alike."""
