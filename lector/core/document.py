"""The document model: Document > Page > Line > Word, each with geometry and confidence.

Everything downstream of recognition reads and writes these; exporters never see model
internals. Boxes are in the page image's pixels. `export()` gives a JSON-ready dict and
`from_json()` reads it back, so the JSON file is a lossless copy of the model.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from lector.core.geometry import Box, union_all

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    box: Box
    confidence: float

    def export(self) -> dict:
        return {"text": self.text, "box": self.box.as_list(), "confidence": round(self.confidence, 4)}

    @classmethod
    def from_json(cls, data: dict) -> "Word":
        return cls(text=data["text"], box=Box.from_list(data["box"]), confidence=float(data["confidence"]))


@dataclass(frozen=True, slots=True)
class Line:
    words: tuple[Word, ...]
    box: Box

    @classmethod
    def from_words(cls, words: list[Word] | tuple[Word, ...]) -> "Line":
        return cls(words=tuple(words), box=union_all(w.box for w in words))

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def confidence(self) -> float:
        return min((w.confidence for w in self.words), default=0.0)

    def export(self) -> dict:
        return {"text": self.text, "box": self.box.as_list(), "words": [w.export() for w in self.words]}

    @classmethod
    def from_json(cls, data: dict) -> "Line":
        return cls(words=tuple(Word.from_json(w) for w in data["words"]), box=Box.from_list(data["box"]))


@dataclass(frozen=True, slots=True)
class Page:
    """One page image's reading. `dpi` is what the image says (or the PDF render used)."""

    index: int
    width: int
    height: int
    lines: tuple[Line, ...]
    dpi: float = 300.0
    seconds: float = 0.0
    meta: dict = field(default_factory=dict)

    @property
    def words(self) -> list[Word]:
        return [w for line in self.lines for w in line.words]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def export(self) -> dict:
        return {"index": self.index, "width": self.width, "height": self.height, "dpi": self.dpi,
                "seconds": round(self.seconds, 4), "meta": dict(self.meta),
                "lines": [line.export() for line in self.lines]}

    @classmethod
    def from_json(cls, data: dict) -> "Page":
        return cls(index=int(data["index"]), width=int(data["width"]), height=int(data["height"]),
                   lines=tuple(Line.from_json(line) for line in data["lines"]),
                   dpi=float(data.get("dpi", 300.0)), seconds=float(data.get("seconds", 0.0)),
                   meta=dict(data.get("meta", {})))


@dataclass(frozen=True, slots=True)
class Document:
    pages: tuple[Page, ...]
    source: str = ""
    engine: str = "lector"

    @property
    def text(self) -> str:
        return "\n\n".join(page.text for page in self.pages)

    @property
    def words(self) -> list[Word]:
        return [w for page in self.pages for w in page.words]

    def export(self) -> dict:
        return {"schema": SCHEMA_VERSION, "source": self.source, "engine": self.engine,
                "pages": [page.export() for page in self.pages]}

    @classmethod
    def from_json(cls, data: dict) -> "Document":
        return cls(pages=tuple(Page.from_json(p) for p in data["pages"]),
                   source=data.get("source", ""), engine=data.get("engine", "lector"))
