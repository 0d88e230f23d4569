"""Photo rectification (lector.photo): speed, page-finding and angle accuracy -> bench/results/photo.json

- generated: pages (synthetic receipts, and FUNSD / SROIE scans when ../shared/evaldata has them)
  turned into photo-like pictures with a known transform (lector.synth.photo); corner error as a
  share of the page's diagonal (the best of the four corner orders, and as ordered), the text
  angle left after rectification, the aspect ratio of the flattened page;
- tilted scans: pages turned by -45..45 degrees with no background (the deskew alone), and
  untouched scans (must come back unchanged, with the identity map);
- real: the 48 Inv3DReal phone photos (no corner truth): time per photo, how many sheets were
  found and used; debug pictures to --debug-dir to look at;
- --ocr: bag-of-words F1 of Tesseract and of Lector's own engine on the real photos as they are,
  rectified without and with light normalisation, and with light normalisation alone (slow:
  about ten minutes for Tesseract, a few for Lector).

Times are one core (cv2.setNumThreads(1), one BLAS thread), excluding decoding, for `rectify()` as
a whole (page finding, deskew, the one warp, light) and by stage: `ms` is wall time, `cpu_ms` the
process's CPU time, which is what one core costs when other work shares the machine.
"""
from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402  (after the thread limits, which numpy reads when it loads)
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EVALDATA = ROOT.parent / "shared" / "evaldata"
RESULTS = ROOT / "bench" / "results"


def page_sources(receipts: int, scans: int) -> list[tuple[str, np.ndarray]]:
    from lector.synth.page import render_receipt

    pages = [(f"receipt-{seed}", render_receipt(seed)[0]) for seed in range(receipts)]
    for dataset in ("funsd_dev", "sroie_dev"):
        folder = EVALDATA / dataset / "images"
        if folder.is_dir():
            for path in sorted(folder.iterdir())[:scans]:
                image = cv2.imread(str(path), cv2.IMREAD_COLOR)
                if image is not None:
                    pages.append((f"{dataset}/{path.stem}", cv2.cvtColor(image, cv2.COLOR_BGR2RGB)))
    return pages


def corner_errors(found: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """(best over the four corner orders, as ordered): the largest corner distance / the diagonal."""
    diagonal = 0.5 * (np.linalg.norm(truth[2] - truth[0]) + np.linalg.norm(truth[3] - truth[1]))
    errors = [float(np.linalg.norm(np.roll(found, -k, axis=0) - truth, axis=1).max() / diagonal) for k in range(4)]
    return min(errors), errors[0]


def wrap45(angle: float) -> float:
    return (angle + 45.0) % 90.0 - 45.0


def bench_generated(pages: list[tuple[str, np.ndarray]], variants: int) -> dict:
    from lector.photo import rectify
    from lector.synth.photo import photo_of_page

    rows = []
    for index, (name, page) in enumerate(pages):
        for variant in range(variants):
            seed = 1000 * index + variant
            sample = photo_of_page(page, seed=seed)
            cpu = time.process_time()
            result = rectify(sample.image)
            cpu = time.process_time() - cpu
            row = {"page": name, "seed": seed, "background": sample.background, "tilt": round(sample.angle, 2),
                   "view_deg": round(sample.effects["view_deg"], 1), "curl": round(sample.curl, 1),
                   "found": result.found is not None, "used": result.quad is not None,
                   "ms": 1000 * result.timings["total"], "cpu_ms": 1000 * cpu}
            if result.found is not None:
                best, ordered = corner_errors(result.found.corners, sample.corners)
                row.update(corner_error=best, corner_error_ordered=ordered, confidence=result.found.confidence)
            page_to_output = sample.page_to_photo.then(result.to_original.inverse())
            cx, cy = sample.page_size[0] / 2, sample.page_size[1] / 2
            row["angle_error"] = abs(wrap45(page_to_output.turn_at(cx, cy)))
            ahead = page_to_output.apply_points(np.array([[cx, cy], [cx + 10, cy], [cx, cy + 10]]))
            sx, sy = np.linalg.norm(ahead[1] - ahead[0]), np.linalg.norm(ahead[2] - ahead[0])
            ratio = sx / sy
            row["aspect_error"] = float(min(abs(ratio - 1), abs(1 / ratio - 1)))
            rows.append(row)
    found = [r for r in rows if r["found"]]
    used = [r for r in rows if r["used"]]
    within = [r for r in rows if r.get("corner_error", 9) <= 0.02]
    return {
        "photos": len(rows), "pages": len(pages), "variants_per_page": variants,
        "found_share": len(found) / len(rows), "used_share": len(used) / len(rows),
        "corners_within_2pct_share": len(within) / len(rows),
        "corners_within_2pct_share_ordered": sum(r.get("corner_error_ordered", 9) <= 0.02 for r in rows) / len(rows),
        "corner_error_median": statistics.median([r["corner_error"] for r in found]) if found else None,
        "corner_error_p90": float(np.percentile([r["corner_error"] for r in found], 90)) if found else None,
        "angle_within_1deg_share": sum(r["angle_error"] <= 1.0 for r in rows) / len(rows),
        "angle_error_median_deg": statistics.median(r["angle_error"] for r in rows),
        "angle_error_p90_deg": float(np.percentile([r["angle_error"] for r in rows], 90)),
        "aspect_error_median_used": statistics.median([r["aspect_error"] for r in used]) if used else None,
        "ms_median": statistics.median(r["ms"] for r in rows),
        "cpu_ms_median": statistics.median(r["cpu_ms"] for r in rows),
        "by_source": {source: {"photos": len(sub), "corners_within_2pct": sum(r.get("corner_error", 9) <= 0.02 for r in sub) / len(sub),
                               "angle_within_1deg": sum(r["angle_error"] <= 1.0 for r in sub) / len(sub)}
                      for source in ("receipt", "funsd_dev", "sroie_dev")
                      for sub in [[r for r in rows if r["page"].startswith(source)]] if sub},
        "by_background": {kind: {"photos": len(sub), "corners_within_2pct": sum(r.get("corner_error", 9) <= 0.02 for r in sub) / len(sub)}
                          for kind in sorted({r["background"] for r in rows})
                          for sub in [[r for r in rows if r["background"] == kind]]},
        "worst": sorted(rows, key=lambda r: -r.get("corner_error", 9))[:8],
    }


def bench_tilted_scans(pages: list[tuple[str, np.ndarray]]) -> dict:
    """Synthetic receipts (exactly level to begin with) turned by a known angle, and straight; real
    scans (FUNSD, SROIE) as they are, whose own small skews are unknown: how often they are turned."""
    from lector.core.geometry import rotation_onto_canvas
    from lector.photo import rectify

    rng = np.random.default_rng(7)
    synthetic = [(name, page) for name, page in pages if name.startswith("receipt-")]
    errors, untouched, turned_small = [], 0, 0
    for name, page in synthetic:
        paper = tuple(int(v) for v in np.median(page.reshape(-1, 3), axis=0))
        for tilt in rng.uniform(-45, 45, 3):
            turn, size = rotation_onto_canvas(-tilt, page.shape[1], page.shape[0])   # text rises by `tilt`
            tilted = cv2.warpAffine(page, turn.matrix[:2], size, flags=cv2.INTER_LINEAR, borderValue=paper)
            result = rectify(tilted)
            errors.append(abs(wrap45(result.angle - tilt)) if abs(tilt) >= 1.0 else abs(result.angle))
        straight = rectify(page)
        untouched += int(not straight.applied and straight.image is page and straight.to_original.is_identity())
        small = float(rng.uniform(-0.6, 0.6))
        turn, size = rotation_onto_canvas(-small, page.shape[1], page.shape[0])
        turned_small += int(not rectify(cv2.warpAffine(page, turn.matrix[:2], size, borderValue=paper)).applied)
    real = [(name, page) for name, page in pages if not name.startswith("receipt-")]
    real_rows = []
    for name, page in real:
        result = rectify(page)
        real_rows.append({"page": name, "applied": result.applied, "sheet_used": result.quad is not None,
                          "turned_deg": result.angle, "light": result.light})
    return {"synthetic_turned": len(errors), "angle_within_1deg_share": sum(e <= 1.0 for e in errors) / len(errors),
            "angle_error_median_deg": statistics.median(errors), "angle_error_max_deg": max(errors),
            "straight_synthetic_untouched_share": untouched / len(synthetic),
            "synthetic_tilted_under_0.6deg_untouched_share": turned_small / len(synthetic),
            "real_scans": len(real_rows),
            "real_scans_sheet_cut_out": sum(r["sheet_used"] for r in real_rows),
            "real_scans_turned": sum(r["turned_deg"] != 0 for r in real_rows),
            "real_scans_light_normalised": sum(r["light"] for r in real_rows),
            "real_scans_detail": real_rows}


def bench_real(debug_dir: Path | None) -> dict:
    from lector.photo import rectify
    from lector.photo.debug import describe, write_debug_picture

    folder = EVALDATA / "inv3d_photo_dev" / "images"
    if not folder.is_dir():
        return {"skipped": f"{folder} is absent"}
    rows, stages = [], {}
    for path in sorted(folder.iterdir()):
        image = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        cpu = time.process_time()
        result = rectify(image)
        cpu = time.process_time() - cpu
        for stage, seconds in result.timings.items():
            stages.setdefault(stage, []).append(1000 * seconds)
        rows.append({"id": path.stem, "found": result.found is not None, "used": result.quad is not None,
                     "confidence": None if result.found is None else result.found.confidence,
                     "turned_deg": result.angle, "light": result.light, "size": list(image.shape[:2]),
                     "ms": round(1000 * result.timings["total"], 1), "cpu_ms": round(1000 * cpu, 1),
                     "summary": describe(result)})
        if debug_dir is not None:
            write_debug_picture(image, result, debug_dir / f"{path.stem}.jpg")
    return {"photos": len(rows), "found": sum(r["found"] for r in rows), "used": sum(r["used"] for r in rows),
            "turned": sum(r["turned_deg"] != 0 for r in rows),
            "ms_median": statistics.median(r["ms"] for r in rows), "ms_max": max(r["ms"] for r in rows),
            "cpu_ms_median": statistics.median(r["cpu_ms"] for r in rows),
            "cpu_ms_max": max(r["cpu_ms"] for r in rows),
            "ms_median_by_stage": {k: round(statistics.median(v), 1) for k, v in stages.items()},
            "photos_detail": rows}


def bench_ocr(limit: int | None, engine_names: list[str]) -> dict:
    """Bag-of-words F1 on the real photos, each engine on: the photo as it is, light
    normalisation alone, rectified without and with light normalisation."""
    from lector.eval.dataset import load_dataset
    from lector.eval.runner import load_rgb, score_document, summarize
    from lector.photo import RectifyConfig, rectify
    from lector.photo.light import normalise_light

    os.environ["OMP_THREAD_LIMIT"] = "1"
    variants = {
        "original": lambda image: image,
        "light_only": lambda image: normalise_light(image),
        "rectified_light_off": lambda image: rectify(image, RectifyConfig(light="off")).image,
        "rectified_light_on": lambda image: rectify(image, RectifyConfig(light="on")).image,
    }
    docs = load_dataset(EVALDATA / "inv3d_photo_dev", limit=limit)
    report = {}
    for engine_name in engine_names:
        engine, label = _ocr_engine(engine_name)
        results: dict[str, list] = {name: [] for name in variants}
        for doc in docs:
            image = load_rgb(doc.image_path)
            for name, prepare in variants.items():
                page = engine.read_page(prepare(image))
                results[name].append(score_document(doc, page, seconds=page.seconds))
        scores_by_variant = {}
        for name, rows in results.items():
            scores = summarize(name, rows)
            scores_by_variant[name] = {
                "f1_exact": round(scores.exact.f1, 4), "f1_case_insensitive": round(scores.folded.f1, 4),
                "recall_exact": round(scores.exact.recall, 4), "precision_exact": round(scores.exact.precision, 4)}
        report[engine_name] = {"engine": label, "photos": len(docs), "variants": scores_by_variant}
    return report


def _ocr_engine(name: str):
    if name == "tesseract":
        from lector.engines.tesseract import TesseractEngine
        engine = TesseractEngine()
        return engine, f"tesseract {engine.version}"
    if name == "lector":
        from lector.pipeline import LectorEngine, PipelineConfig
        from lector.recognize.recognizer import RecognizerConfig
        engine = LectorEngine(PipelineConfig(recognizer=RecognizerConfig(threads=1)))
        return engine, f"lector ({engine.config.recognizer.model_path.name})"
    raise SystemExit(f"unknown engine {name!r}: tesseract or lector")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--receipts", type=int, default=20, help="synthetic receipts to photograph")
    parser.add_argument("--scans", type=int, default=10, help="FUNSD and SROIE pages each (when present)")
    parser.add_argument("--variants", type=int, default=3, help="photos per page")
    parser.add_argument("--debug-dir", default="/tmp/photo_debug", help="debug pictures of the real photos ('' for none)")
    parser.add_argument("--ocr", action="store_true", help="also OCR F1 on the real photos, rectify on and off (slow)")
    parser.add_argument("--ocr-limit", type=int)
    parser.add_argument("--ocr-engines", default="tesseract,lector", help="comma-separated: tesseract, lector")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    pages = page_sources(args.receipts, args.scans)
    report = {"machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                          "date": time.strftime("%Y-%m-%d"), "threads": 1}}
    report["generated"] = bench_generated(pages, args.variants)
    print(json.dumps({k: v for k, v in report["generated"].items() if k != "worst"}, indent=2))
    report["tilted_scans"] = bench_tilted_scans(pages)
    print(json.dumps({k: v for k, v in report["tilted_scans"].items() if k != "real_scans_detail"}, indent=2))
    report["real_inv3d"] = bench_real(Path(args.debug_dir) if args.debug_dir else None)
    print(json.dumps({k: v for k, v in report["real_inv3d"].items() if k != "photos_detail"}, indent=2))
    # OCR figures of engines not run this time stay as they were (each says when it was measured)
    previous = RESULTS / "photo.json"
    report["ocr_inv3d"] = json.loads(previous.read_text()).get("ocr_inv3d", {}) if previous.exists() else {}
    if args.ocr:
        fresh = bench_ocr(args.ocr_limit, args.ocr_engines.split(","))
        for engine in fresh.values():
            engine["date"] = time.strftime("%Y-%m-%d %H:%M")
        report["ocr_inv3d"].update(fresh)
        print(json.dumps(fresh, indent=2))
    (RESULTS / "photo.json").write_text(json.dumps(report, indent=2, default=float))


if __name__ == "__main__":
    main()
