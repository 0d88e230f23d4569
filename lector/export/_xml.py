"""Helpers for the XML writers (hOCR, ALTO): text XML may hold, and the producing version."""
from __future__ import annotations

import re
from importlib import metadata

# Characters XML 1.0 forbids anywhere, even escaped: C0 controls bar tab, LF, CR; lone surrogates; FFFE/FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 cannot carry (control codes a recogniser may emit)."""
    return _NOT_XML.sub("", text)


def lector_version() -> str:
    """Lector's installed version, named in the files as the producing software."""
    try:
        return metadata.version("lector")
    except metadata.PackageNotFoundError:
        return "unknown"
