"""Markdown tables from `lector eval --json` files: engines side by side per dataset, and for
sroie_dev and funsd_dev also the held-out half alone (the part never used for fine-tuning).

    python bench/eval_table.py out/eval-lector.json out/eval-tesseract.json
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lector.eval.dataset import split_of  # noqa: E402


def _scores(docs: list[dict]) -> dict:
    m = sum(d["matches"] for d in docs)
    me = sum(d["matches_exact"] for d in docs)
    p, t = sum(d["predicted"] for d in docs), sum(d["truth"] for d in docs)

    def f1(matches):
        prec, rec = matches / p if p else 0.0, matches / t if t else 0.0
        return prec, rec, 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    prec, rec, f = f1(m)
    cer = sum(d["edits"] for d in docs) / max(1, sum(d["truth_chars"] for d in docs))
    return {"pages": len(docs), "P": prec, "R": rec, "F1": f, "F1 exact": f1(me)[2], "CER": cer}


def main(paths: list[str]) -> None:
    reports = [r for p in paths for r in json.loads(Path(p).read_text())]
    datasets = sorted({Path(r["dataset"]).name for r in reports})
    print("| dataset | part | engine | pages | P | R | F1 (case-insens.) | F1 exact | CER (exact case) | s/page |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in datasets:
        for part in ("all", "held-out"):
            for r in sorted((r for r in reports if Path(r["dataset"]).name == name), key=lambda r: r["engine"]):
                docs = r["docs"] if part == "all" else [d for d in r["docs"] if split_of(d["id"]) == "val"]
                if part == "held-out" and name == "inv3d_photo_dev":
                    continue
                s = _scores(docs)
                secs = r["overall"]["median_seconds_per_page"]
                print(f"| {name} | {part} | {r['engine']} | {s['pages']} | {s['P']:.3f} | {s['R']:.3f} | "
                      f"**{s['F1']:.3f}** | {s['F1 exact']:.3f} | {s['CER']:.3f} | {secs:.2f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
