"""The `lector` command line: ocr, eval, train, synth, crops, detect, eval-words, lab, calibrate, tune.

Each input file is processed on its own: a bad file prints one line naming it and the
problem, the others are still done, and the exit code is the worst one seen.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from lector.core.errors import LectorError


def _outputs_for(inputs: list[Path], out: str | None) -> list[Path]:
    """Output stems: `-o OUT` is the stem for one input, a directory for several."""
    if out is None:
        return [Path(p.stem) for p in inputs]
    if len(inputs) == 1 and not out.endswith("/") and not Path(out).is_dir():
        return [Path(out)]
    Path(out).mkdir(parents=True, exist_ok=True)
    return [Path(out) / p.stem for p in inputs]


OUTPUT_FORMATS = ("json", "txt", "pdf", "hocr", "alto")


def cmd_ocr(args) -> int:
    from lector.pdf_ocr import PdfMode, parse_page_ranges
    from lector.pipeline import LectorEngine

    inputs = [Path(p) for p in args.inputs]
    try:
        formats = _parse_formats(args.formats)
        page_numbers = parse_page_ranges(args.pages) if args.pages else None
        if args.sidecar and len(inputs) > 1 and not args.merge:
            raise LectorError("--sidecar takes one input (or several with --merge)")
        config = _pipeline_config(args, rectify_in_engine=args.output_page == "original")
        engine = LectorEngine(config)
    except LectorError as err:
        print(f"lector: {err}", file=sys.stderr)
        return err.exit_code
    jobs = [(inputs, Path(args.output or "merged"))] if args.merge \
        else [([path], stem) for path, stem in zip(inputs, _outputs_for(inputs, args.output))]
    worst = 0
    for paths, stem in jobs:
        try:
            worst = max(worst, _ocr_job(paths, stem, engine, formats, PdfMode(args.mode), page_numbers, args))
        except LectorError as err:
            print(f"lector: {err}", file=sys.stderr)
            worst = max(worst, err.exit_code)
        except Exception as err:  # one broken file never sinks the batch
            print(f"lector: {', '.join(map(str, paths))}: internal error: {err.__class__.__name__}: {err}",
                  file=sys.stderr)
            worst = max(worst, 1)
    return worst


def _pipeline_config(args, rectify_in_engine: bool = True):
    """The pipeline settings the command line asks for (model, rectification)."""
    from lector.photo import RectifyConfig
    from lector.pipeline import PipelineConfig
    from lector.recognize.recognizer import RecognizerConfig
    from lector.photo import OrientationConfig
    model = {"model_path": Path(args.model)} if args.model else {}
    recognizer = RecognizerConfig(**model, decoder=args.decoder)
    rectify = RectifyConfig() if rectify_in_engine and not args.no_rectify else None
    orientation = OrientationConfig(margin=args.rotate_pages_threshold) if args.rotate_pages else None
    return PipelineConfig(recognizer=recognizer, rectify=rectify, orientation=orientation, repair=not args.no_repair,
                          straighten=not args.no_straighten)


def _parse_formats(text: str) -> set[str]:
    formats = {f.strip() for f in text.split(",") if f.strip()}
    unknown = formats - set(OUTPUT_FORMATS)
    if unknown or not formats:
        raise LectorError(f"--formats: unknown {', '.join(sorted(unknown)) or 'empty list'} "
                          f"(choose from {', '.join(OUTPUT_FORMATS)})")
    return formats


def _ocr_job(paths: list[Path], stem: Path, engine, formats: set[str], mode, page_numbers, args) -> int:
    """OCR one input (or several merged into one document) and write every asked-for output.

    A single PDF keeps its own pages and gets text layers; images (and merged inputs) become a
    new PDF of their page images. Returns the exit code of problems that left pages undone.
    """
    import dataclasses

    from lector.export.pdf_export import write_searchable_pdf
    from lector.io.load import file_kind, iter_pages
    from lector.pdf_ocr import ocr_pdf

    exit_code = 0
    if len(paths) == 1 and file_kind(paths[0]) == "PDF":
        if "pdf" in formats and stem.with_suffix(".pdf").resolve() == paths[0].resolve():
            raise LectorError("the output PDF would overwrite the input; choose another name with -o",
                              str(paths[0]))
        result = ocr_pdf(paths[0], engine.read_page, mode=mode, page_numbers=page_numbers, dpi=args.dpi,
                         debug=args.debug_layer)
        doc = result.document
        for problem in result.problems:
            print(f"lector: {problem}", file=sys.stderr)
            exit_code = max(exit_code, problem.exit_code)
        stem.parent.mkdir(parents=True, exist_ok=True)
        if "pdf" in formats:
            _write_bytes(stem.with_suffix(".pdf"), result.pdf)
        if result.debug_pdf is not None:
            _write_bytes(stem.with_name(stem.name + ".debug.pdf"), result.debug_pdf)
    else:
        page_images = [page for path in paths for page in iter_pages(path, pdf_dpi=args.dpi)]
        if page_numbers is not None:
            page_images = [page for position, page in enumerate(page_images) if position in page_numbers]
        if args.output_page == "rectified" and not args.no_rectify:
            # the outputs (JSON boxes, PDF page image) then refer to the flattened page
            from lector.photo import RectifyConfig, rectify
            page_images = [dataclasses.replace(p, image=rectify(p.image, RectifyConfig()).image, encoded=None)
                           for p in page_images]
        if len(paths) > 1:  # merged: pages numbered through the whole document
            page_images = [dataclasses.replace(page, index=index) for index, page in enumerate(page_images)]
        if not page_images:
            raise LectorError("--pages: none of the pages asked for is in the input", str(paths[0]))
        source = str(paths[0]) if len(paths) == 1 else ", ".join(map(str, paths))
        doc = engine.read_document(page_images, source=source)
        stem.parent.mkdir(parents=True, exist_ok=True)
        if "pdf" in formats:
            write_searchable_pdf(doc, page_images, stem.with_suffix(".pdf"))
        if args.debug_layer:
            write_searchable_pdf(doc, page_images, stem.with_name(stem.name + ".debug.pdf"), debug=True)
    _write_documents(doc, stem, formats, args.sidecar)
    source = ", ".join(map(str, paths))
    print(f"{source}: {len(doc.pages)} page(s), {len(doc.words)} words -> "
          f"{stem}.{{{','.join(sorted(formats))}}}", file=sys.stderr)
    return exit_code


def _write_documents(doc, stem: Path, formats: set[str], sidecar: str | None) -> None:
    from lector.export.alto import write_alto
    from lector.export.hocr import write_hocr
    from lector.export.json_export import write_json
    from lector.export.text_export import write_text

    if "json" in formats:
        write_json(doc, stem.with_suffix(".json"))
    if "txt" in formats:
        write_text(doc, stem.with_suffix(".txt"))
    if "hocr" in formats:
        write_hocr(doc, stem.with_suffix(".hocr"))
    if "alto" in formats:
        write_alto(doc, stem.with_suffix(".alto.xml"))
    if sidecar:
        Path(sidecar).parent.mkdir(parents=True, exist_ok=True)
        write_text(doc, sidecar)


def _write_bytes(path: Path, data: bytes) -> None:
    from lector.export._atomic import write_atomically
    write_atomically(path, data)


def cmd_eval(args) -> int:
    from lector.eval.runner import evaluate, format_comparison, format_table
    engines = []
    for name in args.engine.split(","):
        if name == "lector":
            from lector.pipeline import LectorEngine
            engines.append(LectorEngine(_pipeline_config(args)))
        elif name == "tesseract":
            from lector.engines.tesseract import TesseractEngine
            engines.append(TesseractEngine())
        else:
            raise LectorError(f"unknown engine {name!r} (lector, tesseract)")
    reports = []
    for dataset in args.datasets:
        per_dataset = [evaluate(dataset, engine, limit=args.limit, only=args.only) for engine in engines]
        reports += per_dataset
        print(format_comparison(per_dataset) if len(per_dataset) > 1 else format_table(per_dataset[0]))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps([r.to_dict() for r in reports], indent=2))
    return 0


def cmd_train(args) -> int:
    from lector.train.train import TrainConfig, train
    train(TrainConfig.from_file(Path(args.config)))
    return 0


def cmd_finetune(args) -> int:
    from lector.train.finetune import SHIPPED_WEIGHTS, finetune
    finetune(args.real, args.run_dir, args.synth, init_from=Path(args.init_from or SHIPPED_WEIGHTS), steps=args.steps,
             real_ratio=args.real_ratio, lr=args.lr, val_real_dir=args.val_real or "", goal=args.goal or "",
             threads=args.threads, batch_size=args.batch_size, notebook=args.notebook)
    return 0


def cmd_export(args) -> int:
    from lector.train.publish import publish_checkpoint
    publish_checkpoint(Path(args.checkpoint), Path(args.out), thresholds={"drop_below": args.drop_below})
    return 0


def _font_boosts(specs: list[str] | None) -> dict[str, float]:
    """`--font-boost 'quicksand|urwgothic=8'` -> {'quicksand|urwgothic': 8.0}."""
    boosts = {}
    for spec in specs or []:
        pattern, _, factor = spec.rpartition("=")
        try:
            boosts[pattern] = float(factor)
            re.compile(pattern)
        except (ValueError, re.error) as exc:
            raise LectorError(f"--font-boost wants REGEX=FACTOR, got {spec!r} ({exc})") from None
        if not pattern or boosts[pattern] <= 0:
            raise LectorError(f"--font-boost wants REGEX=FACTOR with a pattern and a factor > 0, got {spec!r}")
    return boosts


def _mix(specs: list[str] | None):
    """`--mix camera=0.6` -> the default DistortionMix with those probabilities (or strengths) changed."""
    from dataclasses import replace
    from lector.synth.render import DistortionMix
    default = DistortionMix()
    changes = {}
    for spec in specs or []:
        name, _, value = spec.partition("=")
        if not hasattr(default, name):
            known = ", ".join(sorted(vars(default)))
            raise LectorError(f"--mix: no distortion named {name!r} (known: {known})")
        try:
            parsed = tuple(float(v) for v in value.split(",")) if "," in value else float(value)
        except ValueError:
            raise LectorError(f"--mix wants NAME=NUMBER or NAME=LOW,HIGH, got {spec!r}") from None
        if isinstance(parsed, tuple) != isinstance(getattr(default, name), tuple):
            raise LectorError(f"--mix {name} wants {'a range LOW,HIGH' if ',' not in value else 'one number'}")
        changes[name] = parsed
    return replace(default, **changes)


def cmd_synth(args) -> int:
    if args.out is None and args.action in ("make", "grid", "page"):
        raise LectorError(f"lector synth {args.action} needs --out")
    if args.action == "make":
        from lector.synth.shards import make_shards
        make_shards(Path(args.out), args.n or 100000, seed=args.seed, workers=args.workers, shard_size=args.shard_size,
                    font_boost=_font_boosts(args.font_boost), mix=_mix(args.mix))
    elif args.action == "page":
        import cv2
        from lector.synth.page import photo_like, render_receipt
        image, words = photo_like(*render_receipt(seed=args.seed), seed=args.seed, tilt_deg=0.8)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(args.out, cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
    elif args.action == "grid":
        from lector.synth.preview import write_grid
        write_grid(Path(args.out), seed=args.seed)
    elif args.action == "stats":
        from lector.synth.stats import write_symbol_report
        print(write_symbol_report(args.n or 20000, args.seed, Path(args.out) if args.out else None))
    elif args.action == "fonts":
        from lector.synth.stats import write_font_report
        print(write_font_report(Path(args.sheet) if args.sheet else None, Path(args.report) if args.report else None))
    return 0


def cmd_crops(args) -> int:
    from lector.train.real_crops import build_real_crops
    print(json.dumps(build_real_crops(Path(args.dataset), Path(args.out), level=args.level), indent=2))
    return 0


def cmd_recase(args) -> int:
    from lector.train.finetune import recase_crop_set
    report = recase_crop_set(Path(args.checkpoint), Path(args.crops), Path(args.out), skip_unsure=not args.keep_unsure)
    print(json.dumps(report, indent=2))
    return 0


def cmd_detect(args) -> int:
    from lector.detect.debug import write_debug_picture
    from lector.detect.mser import DetectorConfig, detect_page
    from lector.io.load import load_pages
    from lector.pipeline import to_grey
    page = load_pages(Path(args.image))[0]
    det = detect_page(to_grey(page.image), DetectorConfig(illumination=args.illumination))
    print(json.dumps({"skew_deg": det.skew_deg, "text_height": round(det.text_height, 1),
                      "lines": [{"box": line.box.as_list(),
                                 "segments": [{"box": s.box.as_list(), "words": [w.as_list() for w in s.words]}
                                              for s in line.segments]} for line in det.lines]}))
    if args.debug:
        write_debug_picture(page.image, det, Path(args.debug))
    return 0


def cmd_rectify(args) -> int:
    import cv2
    from lector.io.load import load_pages
    from lector.photo import RectifyConfig, rectify
    from lector.photo.debug import write_debug_picture
    page = load_pages(Path(args.image))[0]
    result = rectify(page.image, RectifyConfig(light=args.light, find_page=not args.no_page,
                                               deskew=not args.no_deskew))
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    image = result.image if result.image.ndim == 3 else cv2.cvtColor(result.image, cv2.COLOR_GRAY2RGB)
    cv2.imwrite(str(out), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if args.debug:
        write_debug_picture(page.image, result, args.debug)
    quad = result.quad
    print(json.dumps({"applied": result.applied, "light": result.light, "angle": result.angle,
                      "sheet": None if quad is None else {"corners": quad.corners.round(1).tolist(),
                                                          "confidence": quad.confidence,
                                                          "frame_sides": quad.frame_sides},
                      "to_original": [round(v, 8) for v in result.to_original.m],
                      "ms": round(1000 * result.timings["total"], 1)}))
    return 0


def cmd_eval_detect(args) -> int:
    from lector.eval.detection import evaluate_detection, format_detection_table
    reports = [evaluate_detection(args.dataset, limit=args.limit, engine=e, progress=True)
               for e in args.engine.split(",")]
    print(format_detection_table(reports))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(reports, indent=2))
    return 0


def cmd_eval_words(args) -> int:
    from lector.eval.words import evaluate_words, format_word_table, plot_word_eval, plot_paths
    from lector.recognize.recognizer import SECOND_LOOK, Recognizer, RecognizerConfig
    model = {"model_path": Path(args.model)} if args.model else {}
    looks = {"second_look": SECOND_LOOK} if args.second_look else {}
    recognizer = Recognizer(RecognizerConfig(**model, threads=args.threads, decoder=args.decoder, **looks))
    repairer = None
    if args.repair:
        from lector.postprocess.lexicon import Lexicon
        from lector.postprocess.repair import Repairer, RepairConfig
        keep_above = float(recognizer.card.get("thresholds", {}).get("keep_above", RepairConfig.keep_above))
        repairer = Repairer(Lexicon.load(), recognizer.charset, RepairConfig(keep_above=keep_above))
    reports = [evaluate_words(Path(d), recognizer, limit=args.limit, case_insensitive=not args.exact_case,
                              repairer=repairer, misses_dir=args.misses, misses_sample=args.misses_sample)
               for d in args.dirs]
    print(format_word_table(reports))
    if args.plot:
        for report, png in zip(reports, plot_paths(Path(args.plot), reports)):
            plot_word_eval(report, png)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps([r.to_dict() for r in reports], indent=2))
    return 0


def cmd_lab_list(args) -> int:
    from lector.lab.notebook import format_list, list_experiments
    print(format_list(list_experiments(Path(args.notebook))))
    return 0


def cmd_lab_show(args) -> int:
    from lector.lab.notebook import format_experiment, load_experiment
    print(format_experiment(load_experiment(args.number, Path(args.notebook))))
    return 0


def cmd_lab_import(args) -> int:
    from lector.lab.notebook import import_run, started_order
    for run_dir in started_order(args.run_dirs):
        print(f"{run_dir}: experiment {import_run(run_dir, Path(args.notebook))}")
    return 0


def cmd_lab_page(args) -> int:
    from lector.lab.notebook import render_page
    print(render_page(Path(args.notebook)))
    return 0


def cmd_calibrate(args) -> int:
    from lector.train.calibrate import calibrate_model
    report = calibrate_model(Path(args.model), [Path(d) for d in args.datasets], threads=args.threads,
                             write=not args.dry_run, unit=args.unit)
    for name in ("raw", "calibrated_cross_fitted"):
        r = report[name]
        gap = "-" if r["max_gap"] is None else f"{r['max_gap']:.3f}"
        print(f"{name:24s} n={r['n']} ECE={r['ece']:.3f} max bin gap={gap}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


def cmd_tune(args) -> int:
    from lector.eval.tune import tune_buckets
    from lector.pipeline import LectorEngine, PipelineConfig
    from lector.recognize.recognizer import RecognizerConfig
    recognizer = RecognizerConfig(model_path=Path(args.model), threads=args.threads)
    result = tune_buckets([Path(d) for d in args.datasets],
                          lambda keep: LectorEngine(PipelineConfig(recognizer=recognizer, drop_below=0.0, keep_above=keep)),
                          keep_values=[float(v) for v in args.keep.split(",")],
                          drop_values=[round(0.05 * k, 2) for k in range(17)], limit=args.limit)
    for row in result["rows"]:
        print(json.dumps(row))
    best = result["best"]
    print("best:", json.dumps(best))
    if args.write:
        from lector.train.export import update_card
        update_card(Path(args.model), {"thresholds": {
            "drop_below": best["drop_below"], "keep_above": best["keep_above"],
            "tuned_on": f"fine-tune halves of {', '.join(Path(d).name for d in args.datasets)}: mean F1 {best['mean_f1']}"}})
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


def cmd_lexicon(args) -> int:
    from lector.train.lexicon import build_lexicon
    print(json.dumps(build_lexicon(Path(args.out), [Path(d) for d in args.datasets])))
    return 0


def _reading_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--decoder", choices=["greedy", "beam"], default="greedy", help="CTC decoding (default greedy)")
    p.add_argument("--no-repair", action="store_true", help="no lexicon repair of middle-confidence words")
    p.add_argument("--no-straighten", action="store_true",
                   help="read the crops of sloped lines as cut (default: resample them level first)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lector", description="OCR for documents.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ocr", help="OCR images/PDFs into JSON, text, hOCR, ALTO and a searchable PDF")
    p.add_argument("inputs", nargs="+")
    p.add_argument("-o", "--output", help="output stem (one input) or directory (several)")
    p.add_argument("--formats", default="json,txt,pdf",
                   help=f"comma-separated, of {','.join(OUTPUT_FORMATS)} (default: json,txt,pdf)")
    p.add_argument("--model", help="ONNX word net (default: the shipped models/wordnet.onnx)")
    _reading_options(p)
    p.add_argument("--sidecar", metavar="FILE", help="also write the recognised text to FILE")
    p.add_argument("--mode", choices=["skip", "force", "redo"], default="skip",
                   help="PDF pages that already have text: skip them (default), force: replace the "
                        "page by its rendering with a new text layer, redo: replace an earlier "
                        "invisible OCR layer")
    p.add_argument("--pages", help="only these pages, counted from 1: e.g. 1-3,5,9-")
    p.add_argument("--dpi", type=float, default=300.0, help="resolution to render PDF pages at (default 300)")
    p.add_argument("--debug-layer", action="store_true",
                   help="also write STEM.debug.pdf with the text layer visible (red boxes and words)")
    p.add_argument("--merge", action="store_true",
                   help="all inputs into one document and one new PDF (-o names it; default 'merged')")
    p.add_argument("--rotate-pages", action=argparse.BooleanOptionalAction, default=True,
                   help="turn pages that lie sideways or upside down before reading (default: on)")
    p.add_argument("--rotate-pages-threshold", type=float, default=None,
                   help="log-odds a turn must beat upright by (default: the orientation model card's)")
    p.add_argument("--no-rectify", action="store_true",
                   help="read photos as they are (no page finding, deskew or light correction)")
    p.add_argument("--output-page", choices=["original", "rectified"], default="original",
                   help="which image the outputs refer to for photos (default: the original photo)")
    p.set_defaults(func=cmd_ocr)
    p = sub.add_parser("eval", help="score engines on datasets in the evaldata format")
    p.add_argument("datasets", nargs="+")
    p.add_argument("--engine", default="lector", help="lector, tesseract, or both comma-separated")
    p.add_argument("--limit", type=int)
    p.add_argument("--only", choices=["val", "train"], help="only the held-out (val) or fine-tune part")
    p.add_argument("--json", help="write the reports as JSON here")
    p.add_argument("--model")
    _reading_options(p)
    p.add_argument("--no-rectify", action="store_true", help="read photos as they are")
    p.add_argument("--rotate-pages", action=argparse.BooleanOptionalAction, default=True,
                   help="turn pages that lie sideways or upside down before reading (default: on)")
    p.add_argument("--rotate-pages-threshold", type=float, default=None,
                   help="log-odds a turn must beat upright by (default: the orientation model card's)")
    p.set_defaults(func=cmd_eval)
    p = sub.add_parser("train", help="train the word net from a JSON config")
    p.add_argument("config")
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("finetune", help="train on from the shipped model (or --from) on real crops mixed with synthetic")
    p.add_argument("--real", action="append", required=True, help="real crop directory (lector crops; repeatable)")
    p.add_argument("--synth", action="append", required=True, help="synthetic shard directory (repeatable)")
    p.add_argument("--run-dir", required=True)
    p.add_argument("--from", dest="init_from", help="weights or checkpoint to start from (default models/wordnet.pt)")
    p.add_argument("--val-real", help="held-out real crops to evaluate on")
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--real-ratio", type=float, default=0.5)
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--batch-size", type=int, default=48)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--notebook", default="lab")
    p.add_argument("--goal")
    p.set_defaults(func=cmd_finetune)
    p = sub.add_parser("export", help="export a training checkpoint to ONNX with its card")
    p.add_argument("checkpoint")
    p.add_argument("out")
    p.add_argument("--drop-below", type=float, default=0.6,
                   help="word-confidence threshold stored in the card (tune with lector.eval.tune)")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("synth", help="synthetic word crops")
    p.add_argument("action", choices=["make", "grid", "page", "stats", "fonts"])
    p.add_argument("--out", help="shard dir (make), image (grid, page) or JSON (stats)")
    p.add_argument("--n", type=int, help="samples (make: 100000, stats: 20000)")
    p.add_argument("--sheet", help="fonts: specimen sheet PNG (more pages as NAME-2.png...)")
    p.add_argument("--report", help="fonts: JSON report of faces and exclusions")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--shard-size", type=int, default=5000)
    p.add_argument("--font-boost", action="append", metavar="REGEX=FACTOR",
                   help="make: multiply the draw weight of faces whose name (lower case, no spaces) matches "
                        "REGEX, e.g. 'quicksand|urwgothic=8' (repeatable)")
    p.add_argument("--mix", action="append", metavar="NAME=VALUE",
                   help="make: change one distortion of the default mix, e.g. 'camera=0.6' or "
                        "'camera_height=10,20' (repeatable; recorded in the manifest)")
    p.set_defaults(func=cmd_synth)
    p = sub.add_parser("crops", help="cut labelled line (or word) crops from a dataset (train/val split by document)")
    p.add_argument("dataset")
    p.add_argument("out")
    p.add_argument("--level", choices=["lines", "words", "split-words"], default="lines",
                   help="cut the truth lines (default), the truth words (single-word accuracy), or "
                        "the words of each truth line, cut at its widest ink gaps where they are clear "
                        "(for datasets that label lines only, such as SROIE)")
    p.set_defaults(func=cmd_crops)
    p = sub.add_parser("recase", help="give upper-cased truth (SROIE) the case a model reads it in, for training")
    p.add_argument("checkpoint", help="training checkpoint or weights whose reading sets the case")
    p.add_argument("crops", help="crop directory (lector crops), e.g. its train part")
    p.add_argument("out")
    p.add_argument("--keep-unsure", action="store_true",
                   help="keep crops whose printed case is not known, with the truth's case "
                        "(default: leave them out)")
    p.set_defaults(func=cmd_recase)
    p = sub.add_parser("detect", help="run the word detector on one image")
    p.add_argument("image")
    p.add_argument("--debug", help="picture: regions orange, words green, segments red, lines blue")
    p.add_argument("--illumination", choices=["auto", "on", "off"], default="auto")
    p.set_defaults(func=cmd_detect)
    p = sub.add_parser("rectify", help="find the sheet in a photo, flatten it, turn its text level, even the light")
    p.add_argument("image")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--debug", help="picture of what was found")
    p.add_argument("--light", choices=["auto", "on", "off"], default="auto")
    p.add_argument("--no-page", action="store_true", help="skip page finding")
    p.add_argument("--no-deskew", action="store_true")
    p.set_defaults(func=cmd_rectify)
    p = sub.add_parser("eval-detect", help="score the detector's boxes: coverage, line recall/precision, speed")
    p.add_argument("dataset")
    p.add_argument("--engine", default="lector", help="lector, tesseract, or both comma-separated")
    p.add_argument("--limit", type=int)
    p.add_argument("--json")
    p.set_defaults(func=cmd_eval_detect)
    p = sub.add_parser("eval-words", help="score the word net on crop sets: SWA, CER, precision/recall "
                                          "against the confidence threshold, calibration")
    p.add_argument("dirs", nargs="+", metavar="DIR", help="crop shard directories (data/synth-val, data/real-sroie/val)")
    p.add_argument("--model", help="ONNX word net (default: the shipped models/wordnet.onnx)")
    p.add_argument("--limit", type=int, help="a fixed random sample of this many crops per DIR")
    p.add_argument("--exact-case", action="store_true",
                   help="count a reading correct only in the exact case (precision/recall, calibration)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--decoder", choices=("greedy", "beam"), default="greedy")
    p.add_argument("--repair", action="store_true",
                   help="repair each reading against the lexicon as the pipeline repairs a page's words")
    p.add_argument("--second-look", action="store_true",
                   help="read doubtful crops again wider and with paper after them, keeping the most confident reading")
    p.add_argument("--plot", help="PNG of the curves (several DIRs: one per DIR, its name appended)")
    p.add_argument("--misses", metavar="OUT_DIR",
                   help="write each crop set's misreadings here to be judged by eye: NAME.tsv (every miss, "
                        "with an empty verdict column) and NAME-sheet-NN.png (a seeded sample, crop beside "
                        "truth and reading)")
    p.add_argument("--misses-sample", type=int, default=200, help="misses drawn on the contact sheets")
    p.add_argument("--json")
    p.set_defaults(func=cmd_eval_words)
    p = sub.add_parser("calibrate", help="fit the word net's confidence calibration on held-out real crops "
                                         "and store it in the model card")
    p.add_argument("--model", default="models/wordnet.onnx")
    p.add_argument("--dataset", dest="datasets", action="append", required=True, help="evaldata folder (repeatable)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--dry-run", action="store_true", help="report only; leave the model card as it is")
    p.add_argument("--unit", choices=["words", "lines"], default="words",
                   help="fit on the words read in the line crops (default: the pipeline's confidences are "
                        "per word) or on whole lines")
    p.add_argument("--json")
    p.set_defaults(func=cmd_calibrate)
    p = sub.add_parser("tune", help="tune the confidence buckets (drop / repair / keep) on fine-tune halves")
    p.add_argument("--model", default="models/wordnet.onnx")
    p.add_argument("--dataset", dest="datasets", action="append", required=True, help="evaldata folder (repeatable)")
    p.add_argument("--keep", default="0.7,0.8,0.9,0.95,1.01", help="keep_above values to try (1.01: every word may be repaired)")
    p.add_argument("--limit", type=int)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--write", action="store_true", help="store the best pair in the model card")
    p.add_argument("--json")
    p.set_defaults(func=cmd_tune)
    p = sub.add_parser("lexicon", help="build the repair lexicon (wordfreq + fine-tune-half truth)")
    p.add_argument("--out", default="models/lexicon.tsv.gz")
    p.add_argument("--dataset", dest="datasets", action="append", default=[],
                   help="evaldata folder whose fine-tune half adds words (repeatable)")
    p.set_defaults(func=cmd_lexicon)
    notebook = argparse.ArgumentParser(add_help=False)
    notebook.add_argument("--notebook", default="lab", help="the notebook directory (default: lab)")
    lab = sub.add_parser("lab", help="the lab notebook: training runs as numbered experiments")
    lab_sub = lab.add_subparsers(dest="lab_command", required=True)
    p = lab_sub.add_parser("list", parents=[notebook], help="experiments, newest first")
    p.set_defaults(func=cmd_lab_list)
    p = lab_sub.add_parser("show", parents=[notebook], help="one experiment's full record")
    p.add_argument("number", type=int)
    p.set_defaults(func=cmd_lab_show)
    p = lab_sub.add_parser("import", parents=[notebook], help="record existing run directories (again: refresh)")
    p.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    p.set_defaults(func=cmd_lab_import)
    p = lab_sub.add_parser("page", parents=[notebook], help="write the notebook's README.md and plots")
    p.set_defaults(func=cmd_lab_page)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except LectorError as err:
        print(f"lector: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
