"""Typed errors with CLI exit codes (modelled on OCRmyPDF's exceptions).

One bad input raises one of these; the CLI prints a one-line message naming the file and
the problem, records the exit code, and goes on with the other inputs.
"""
from __future__ import annotations


class LectorError(Exception):
    """Base of every error Lector raises on purpose; `exit_code` is what the CLI returns."""

    exit_code = 1

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.message = message

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class InputError(LectorError):
    """The input file is missing, empty, truncated or not a document we can read."""

    exit_code = 2


class UnsupportedFormat(InputError):
    """The file is readable but in a format Lector does not take."""


class PageTooLarge(InputError):
    """The image is over the pixel limit (a decompression-bomb guard, checked from the header)."""

    exit_code = 3


class BrokenPDF(InputError):
    """The PDF cannot be parsed (bad xref, truncated, not a PDF inside)."""


class EncryptedPDF(InputError):
    """The PDF is password protected; exit code 8 as in OCRmyPDF."""

    exit_code = 8


class ModelError(LectorError):
    """The model file is missing or does not describe itself (no charset in its metadata)."""

    exit_code = 4
