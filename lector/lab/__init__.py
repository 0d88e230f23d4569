"""The lab notebook: every training run recorded as a numbered experiment under `lab/` (file-based, committed). Never imported by inference."""
