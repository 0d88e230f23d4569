"""`lector synth stats`: how often each charset symbol occurs in the corpus, before and after boosting.

A symbol the net rarely sees is a symbol it cannot read; this report is the check that every one
of them is at or above the floor, and that boosting left common text alone.
"""
from __future__ import annotations

import json
from pathlib import Path

from lector.synth.corpus import SYMBOL_FLOOR, Corpus


def symbol_histogram(n: int = 20000, seed: int = 0, floor: float = SYMBOL_FLOOR,
                     corpus: Corpus | None = None) -> dict:
    """Share of every charset symbol in `n` sampled texts, unboosted and boosted."""
    raw = corpus or Corpus.load(boost=False, symbol_floor=floor)
    boosted = raw.boosted()
    before, after = raw.measure(n, seed), boosted.measure(n, seed)
    symbols = [{"symbol": ch, "before": before.share(ch), "after": after.share(ch),
                "count_before": before.counts.get(ch, 0), "count_after": after.counts.get(ch, 0)}
               for ch in raw.charset]
    return {
        "texts": n, "seed": seed, "floor": floor,
        "chars_before": before.chars, "chars_after": after.chars,
        "below_floor_before": before.below(raw.charset, floor),
        "below_floor_after": after.below(raw.charset, floor),
        "rarest_before": [ch for ch, _ in before.rarest(raw.charset)],
        "rarest_after": [ch for ch, _ in after.rarest(raw.charset)],
        "words_per_text": after.words_per_text, "cases": after.cases,
        "corpus": boosted.describe(), "symbols": symbols,
    }


def format_histogram(report: dict, columns: int = 3) -> str:
    """The report as text: every symbol's share (%) before -> after, rarest lists, the boost."""
    floor = report["floor"]
    cells = []
    for row in report["symbols"]:
        flag = "!" if row["after"] < floor else " "
        cells.append(f"{row['symbol']!r:>6} {100 * row['before']:7.3f} -> {100 * row['after']:7.3f}{flag}")
    lines = [f"character shares (%) in {report['texts']} texts, before -> after boosting "
             f"(floor {100 * floor:.3f}%, ! = below)"]
    per_column = (len(cells) + columns - 1) // columns
    for r in range(per_column):
        lines.append("   ".join(cells[r + c * per_column] for c in range(columns) if r + c * per_column < len(cells)))
    by_symbol = {row["symbol"]: row for row in report["symbols"]}
    for when in ("before", "after"):
        rarest = ", ".join(f"{ch!r} {100 * by_symbol[ch][when]:.4f}%" for ch in report[f"rarest_{when}"])
        lines.append(f"rarest {when}: {rarest}")
        lines.append(f"below floor {when}: {len(report[f'below_floor_{when}'])}")
    weights = report["corpus"]["weights"]
    total = sum(weights.values())
    lines.append("sources: " + ", ".join(f"{k} {100 * v / total:.1f}%" for k, v in weights.items()))
    lines.append(f"words per text: {report['words_per_text']}; word case: {report['cases']}")
    return "\n".join(lines)


def write_symbol_report(n: int = 20000, seed: int = 0, out: Path | None = None) -> str:
    """`lector synth stats`: the histogram as text, and as JSON in `out` when given."""
    report = symbol_histogram(n, seed)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    return format_histogram(report)


def write_font_report(sheet: Path | None = None, report: Path | None = None) -> str:
    """`lector synth fonts`: face count and exclusions by reason; specimen pages and JSON if asked."""
    from lector.synth.fonts import collection_report, load_collection
    faces, excluded = load_collection()
    summary = collection_report(faces, excluded)
    lines = [f"{summary['valid']} valid faces ({summary['monospace']} monospace), "
             f"{summary['excluded']} files excluded:"]
    lines += [f"  {count:4d}  {kind}" for kind, count in summary["exclusion_summary"].items()]
    if sheet:
        from lector.synth.preview import write_font_sheet
        pages = write_font_sheet(sheet, faces)
        lines.append(f"specimen sheet: {', '.join(str(p) for p in pages)}")
    if report:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(summary, indent=1, ensure_ascii=False))
        lines.append(f"report: {report}")
    return "\n".join(lines)
