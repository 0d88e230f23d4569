"""Synthetic crop generation speed, written to bench/results/synth.json.

One process, one OpenCV thread: `CropGenerator.sample` over `--samples` indices with the default
(v2) mix, and with `DistortionMix.v1()` for comparison; then the same crops through `input_crop`
(normalised to the net's 32 px, what shards and `OnTheFlyCrops` return). Rates are given per
wall second and per CPU second of this process: the CPU figure is the per-core rate even when
other jobs share the machine. A profile of `--profile-samples` samples says where the time goes.
Peak RSS is this process's (one worker's) high-water mark from getrusage; much of it is font
files mapped by FreeType, which the page cache shares between workers.

    .venv/bin/python bench/bench_synth.py                  # 3000 samples
    .venv/bin/python bench/bench_synth.py --samples 500    # a quick look
"""
from __future__ import annotations

import argparse
import cProfile
import json
import platform
import pstats
import resource
import sys
import time
from dataclasses import asdict
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"

from lector.synth.corpus import Corpus  # noqa: E402
from lector.synth.fonts import load_collection  # noqa: E402
from lector.synth.render import CropGenerator, DistortionMix  # noqa: E402
from lector.synth.stream import input_crop  # noqa: E402

# (module, function) whose cumulative time answers "where does a sample's time go".
STAGES = {
    "corpus text": ("corpus.py", "sample"), "font raster (text mask)": ("render.py", "_text_mask"),
    "font raster (with neighbours)": ("render.py", "_line_mask"), "ink effects": ("render.py", "_ink"),
    "optics + geometry (_photometric)": ("render.py", "_photometric"), "v2 geometry": ("render.py", "_geometry"),
    "negatives": ("render.py", "render_negative"), "paper texture": ("textures.py", "texture"),
    "whole render_crop": ("render.py", "render_crop"),
}


def time_samples(generator: CropGenerator, indices: range) -> dict:
    words = crops = 0
    wall, cpu = time.perf_counter(), time.process_time()
    rendered = []
    for index in indices:
        grey, text = generator.sample(index)
        rendered.append(grey)
        words += len(text.split())
        crops += 1
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    norm_wall, norm_cpu = time.perf_counter(), time.process_time()
    for grey in rendered:
        input_crop(grey)
    norm_wall, norm_cpu = time.perf_counter() - norm_wall, time.process_time() - norm_cpu
    return {
        "samples": crops, "words": words, "words_per_crop": round(words / crops, 3),
        "render_wall_s": round(wall, 3), "render_cpu_s": round(cpu, 3),
        "crops_per_s_wall": round(crops / wall, 1), "crops_per_cpu_s": round(crops / cpu, 1),
        "words_per_s_wall": round(words / wall, 1), "words_per_cpu_s": round(words / cpu, 1),
        "with_normalise_crops_per_cpu_s": round(crops / (cpu + norm_cpu), 1),
        "with_normalise_words_per_cpu_s": round(words / (cpu + norm_cpu), 1),
    }


def profile(generator: CropGenerator, indices: range) -> dict:
    profiler = cProfile.Profile()
    profiler.enable()
    for index in indices:
        generator.sample(index)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    cumulative = {(Path(filename).name, name): cum for (filename, _, name), (_, _, _, cum, _) in stats.stats.items()
                  if "lector/synth" in filename}
    shares = {label: round(cumulative.get(key, 0.0) / total, 3) for label, key in STAGES.items()}
    own = sorted(((tt, f"{Path(k[0]).name}:{k[2]}") for k, (_, _, tt, _, _) in stats.stats.items()), reverse=True)
    return {"samples": len(indices), "share_of_time": shares,
            "top_own_time": [{"function": name, "share": round(tt / total, 3)} for tt, name in own[:10]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=3000)
    parser.add_argument("--profile-samples", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(RESULTS / "synth.json"))
    args = parser.parse_args()
    cv2.setNumThreads(1)
    start = time.perf_counter()
    faces, excluded = load_collection()
    fonts_s = time.perf_counter() - start
    corpus = Corpus.load()
    load_s = time.perf_counter() - start
    mix = DistortionMix()
    generator = CropGenerator(corpus, faces, mix, seed=args.seed)
    for index in range(200):   # warm the font cache, as a long-running worker would be
        generator.sample(10_000_000 + index)
    v2 = time_samples(generator, range(args.samples))
    v1 = time_samples(CropGenerator(corpus, faces, DistortionMix.v1(), seed=args.seed), range(args.samples // 2))
    where = profile(generator, range(args.samples, args.samples + args.profile_samples))
    result = {
        "what": "CropGenerator.sample, one process, one OpenCV thread",
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine(),
                    "opencv": cv2.__version__},
        "faces": len(faces), "excluded_font_files": len(excluded),
        "load_s": {"fonts (validate all)": round(fonts_s, 2), "fonts + corpus + boost": round(load_s, 2)},
        "default_mix": v2, "v1_mix": v1, "profile": where,
        "peak_rss_mb_per_worker": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "mix": asdict(mix),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(json.dumps({k: result[k] for k in ("faces", "load_s", "default_mix", "v1_mix", "peak_rss_mb_per_worker")},
                     indent=2))
    print(json.dumps(where, indent=2))


if __name__ == "__main__":
    main()
