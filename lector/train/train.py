"""`lector train`: the training loop, readable in one sitting (after nanoGPT's train.py).

A run is described by its TrainConfig, its data manifests and the git hash; it writes
`RUN_DIR/config.json`, `metrics.jsonl`, `ckpt.pt` (exact resume: batch k is a pure function
of the seed and k) and, at the end, `model.onnx` with its card.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from lector.lab.notebook import finish_experiment, start_experiment, sync_metrics
from lector.recognize.charset import DEFAULT_CHARSET
from lector.synth.shards import git_revision, load_shards
from lector.train.data import CAMERA_BLUR, BatchStream, CropSet, OnTheFlySet
from lector.train.model import WordNet, WordNetConfig, shift_to_paper_zero


@dataclass
class TrainConfig:
    run_dir: str = "runs/wordnet"
    synth_dirs: list[str] = field(default_factory=lambda: ["data/synth-v1"])
    real_dirs: list[str] = field(default_factory=list)
    real_ratio: float = 0.0
    synth_limit: int = 0         # use only the first N synthetic crops (0: all), e.g. to compare data sets
    synth_on_the_fly: bool = False   # render synthetic crops as training goes (synth_dirs unused)
    synth_seed: int = 0
    synth_workers: int = 0           # render processes for the on-the-fly crops (0: in the trainer)
    val_synth_dir: str = ""
    val_real_dir: str = ""
    charset: str = DEFAULT_CHARSET
    channels: tuple[int, ...] = (16, 32, 64, 64, 128, 160)
    lstm_hidden: int = 128
    lstm_layers: int = 2
    paper_zero: bool = False     # the net's input shifted so its padding is paper (model.WordNetConfig)
    tail_steps: int = 0          # steps of paper the net appends after every crop (model.WordNetConfig)
    steps: int = 10000
    batch_size: int = 48
    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 300
    grad_clip: float = 5.0
    seed: int = 0
    threads: int = 2
    device: str = "auto"         # "auto": CUDA where available, else CPU
    precision: str = "auto"      # "auto": bf16 autocast on CUDA and on CPUs with native bf16; "fp32"; "bf16"
    real_jitter: float = 0.0     # share of real crops re-framed, stretched and re-lit each draw (data.jitter_crop)
    real_camera: float = 0.0     # share of real crops imaged small and blurred as by a phone (data.camera_crop)
    real_strokes: float = 0.0    # share of real crops drawn bolder, lighter or slanted (data.restroke_crop)
    synth_camera: float = 0.0    # the same for stored synthetic crops (on top of their own distortions)
    camera_blur: tuple[float, float] = CAMERA_BLUR  # Gaussian sigma range of those camera crops, px at their size
    camera_motion: float = 0.0   # share of camera crops also shaken (data.camera_crop)
    pad_jitter: float = 0.0      # share of batches padded wider than their widest crop (BatchStream.extra_width)
    eval_every: int = 500
    checkpoint_every: int = 200
    log_every: int = 50
    init_from: str = ""          # a checkpoint to start from (fine-tuning)
    goal: str = ""               # one line, written at launch: what this run is meant to find out
    notebook: str = "lab"        # the lab notebook that records the run ("" : none)

    @classmethod
    def from_file(cls, path: Path) -> "TrainConfig":
        return cls(**json.loads(Path(path).read_text()))


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up, then cosine decay to 5% of the peak."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps))
    return cfg.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))


def greedy_texts(log_probs: torch.Tensor, lengths: torch.Tensor, charset: str) -> list[str]:
    best = log_probs.argmax(-1).T.cpu().numpy()      # (N, T)
    texts = []
    for row, n in zip(best, lengths.tolist()):
        out, prev = [], 0
        for c in row[:n]:
            if c != 0 and c != prev:
                out.append(charset[c - 1])
            prev = c
        texts.append("".join(out))
    return texts


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def use_bf16(precision: str, device: torch.device) -> bool:
    """bf16 autocast where the hardware does bf16 natively: 1.5x the fp32 training rate on a
    2-core AVX512-BF16 CPU, 2.0x with channels-last (bench/bench_training.py); emulated bf16 on
    older CPUs would be slower."""
    if precision in ("fp32", "bf16"):
        return precision == "bf16"
    if precision != "auto":
        raise ValueError(f"precision must be auto, fp32 or bf16, not {precision!r}")
    if device.type == "cuda":
        return True
    cpu = torch.cpu
    return device.type == "cpu" and (cpu._is_avx512_bf16_supported() or cpu._is_amx_tile_supported())


@torch.no_grad()
def evaluate_set(model: WordNet, crop_set: CropSet, charset: str, limit: int = 3000) -> dict:
    """SWA (exact, case-insensitive) and CER of greedy decoding on up to `limit` crops."""
    from rapidfuzz.distance import Levenshtein
    device = next(model.parameters()).device
    model.eval()
    exact = folded = edits = chars = n = 0
    # a fixed random subset of buckets: the buckets are sorted by width, and the first ones
    # (the narrowest, easiest crops) alone would overstate accuracy
    order = np.random.default_rng(0).permutation(len(crop_set.buckets))
    for bucket in (crop_set.buckets[i] for i in order):
        images, _, input_lengths, _ = crop_set.collate(bucket)
        texts = greedy_texts(model(images.to(device)).float(), model.output_lengths(input_lengths), charset)
        for i, text in zip(bucket, texts):
            truth = crop_set.labels[i]
            exact += text == truth
            folded += text.casefold() == truth.casefold()
            edits += Levenshtein.distance(text, truth)
            chars += max(1, len(truth))
            n += 1
        if n >= limit:
            break
    model.train()
    return {"swa": exact / max(1, n), "swa_ci": folded / max(1, n), "cer": edits / max(1, chars), "n": n}


def _load_sets(dirs: list[str], charset: str, batch_size: int, limit: int = 0) -> CropSet | None:
    crops, labels = [], []
    for d in dirs:
        c, l = load_shards(Path(d), limit - len(crops) if limit else None)
        crops += c
        labels += l
    return CropSet(crops, labels, charset, batch_size) if crops else None


def train_step(model: WordNet, optimizer: torch.optim.Optimizer, ctc: torch.nn.CTCLoss, batch, bf16: bool,
               grad_clip: float, layout: torch.memory_format = torch.channels_last) -> torch.Tensor:
    """One optimiser step on one batch (images, targets, input lengths, target lengths): the
    forward pass in bf16 autocast when asked, images in `layout`, the CTC loss in fp32,
    gradients clipped to `grad_clip`. Returns the loss."""
    images, targets, input_lengths, target_lengths = batch
    device = next(model.parameters()).device
    with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=bf16):
        log_probs = model(images.to(device, non_blocking=True).contiguous(memory_format=layout))
    loss = ctc(log_probs.float(), targets.to(device), model.output_lengths(input_lengths), target_lengths)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()
    return loss


def train(cfg: TrainConfig, stop_after: int | None = None) -> Path:
    """Train (or resume) the run in `cfg.run_dir`; `stop_after` ends early, as a kill would."""
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    run_dir = Path(cfg.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    if cfg.synth_on_the_fly:
        from lector.synth.stream import OnTheFlyCrops
        synth = OnTheFlySet(OnTheFlyCrops(seed=cfg.synth_seed, workers=cfg.synth_workers), cfg.charset, cfg.batch_size)
    else:
        synth = _load_sets(cfg.synth_dirs, cfg.charset, cfg.batch_size, cfg.synth_limit)
    real = _load_sets(cfg.real_dirs, cfg.charset, cfg.batch_size)
    if synth is None:
        raise SystemExit(f"no synthetic shards in {cfg.synth_dirs}")
    val_sets = {name: s for name, d in (("synth", cfg.val_synth_dir), ("real", cfg.val_real_dir)) if d
                for s in [_load_sets([d], cfg.charset, 64)] if s}
    stream = BatchStream(synth, real, cfg.real_ratio, cfg.seed, cfg.steps, real_jitter=cfg.real_jitter,
                         pad_jitter=cfg.pad_jitter, real_camera=cfg.real_camera,
                         camera_blur=tuple(cfg.camera_blur), camera_motion=cfg.camera_motion,
                         synth_camera=cfg.synth_camera, real_strokes=cfg.real_strokes)

    device = pick_device(cfg.device)
    mixed_precision = use_bf16(cfg.precision, device)     # bf16 autocast: no loss scaling needed
    # channels-last convolutions: 1.2x on CPU (oneDNN), no loss on GPU (train_step feeds them so)
    model = WordNet(WordNetConfig.from_settings(asdict(cfg))).to(device, memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    start_step = 0
    ckpt_path = run_dir / "ckpt.pt"
    if ckpt_path.exists():
        state = torch.load(ckpt_path, weights_only=False, map_location=device)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start_step = state["step"]
    elif cfg.init_from:
        start = torch.load(cfg.init_from, weights_only=False, map_location=device)
        weights = start["model"]
        if cfg.paper_zero and not start["config"].get("paper_zero", False):
            weights = shift_to_paper_zero(weights)
        model.load_state_dict(weights)
    run_config = {**asdict(cfg), "git": git_revision(), "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
                  "device_used": str(device), "bf16": mixed_precision}
    (run_dir / "config.json").write_text(json.dumps(run_config, indent=2))
    notebook = Path(cfg.notebook) if cfg.notebook else None
    experiment = start_experiment(run_config, cfg.run_dir, notebook) if notebook else None   # resume: same number
    metrics_file = (run_dir / "metrics.jsonl").open("a")
    model.train()
    bar = tqdm(range(start_step, cfg.steps), initial=start_step, total=cfg.steps, desc="train", mininterval=5)
    seen, t0, loss_avg = 0, time.time(), None
    for step in bar:
        batch = stream.batch(step)
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, cfg)
        loss = train_step(model, optimizer, ctc, batch, mixed_precision, cfg.grad_clip)
        seen += batch[0].shape[0]
        loss_avg = loss.item() if loss_avg is None else 0.98 * loss_avg + 0.02 * loss.item()
        rate = seen / max(1e-6, time.time() - t0)
        bar.set_postfix(loss=f"{loss_avg:.3f}", crops_s=f"{rate:.0f}", refresh=False)
        record = {"step": step + 1, "loss": round(loss.item(), 4), "lr": lr_at(step, cfg),
                  "crops_per_s": round(rate, 1)}
        last = step + 1 == cfg.steps
        if (step + 1) % cfg.eval_every == 0 or last:
            for name, val in val_sets.items():
                record[f"val_{name}"] = evaluate_set(model, val, cfg.charset)
            tqdm.write(json.dumps(record))
        if (step + 1) % cfg.log_every == 0 or last or len(record) > 4:
            metrics_file.write(json.dumps(record) + "\n")
            metrics_file.flush()
            if experiment and len(record) > 4:
                sync_metrics(experiment, run_dir / "metrics.jsonl", notebook)
        if (step + 1) % cfg.checkpoint_every == 0 or last:
            tmp = ckpt_path.with_suffix(".tmp")
            torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step + 1,
                        "config": asdict(cfg)}, tmp)
            tmp.replace(ckpt_path)
        if stop_after is not None and step + 1 >= stop_after:
            break
    metrics_file.close()
    if experiment and sync_metrics(experiment, run_dir / "metrics.jsonl", notebook).last_step >= cfg.steps:
        finish_experiment(experiment, notebook)          # a stopped (killed) run stays "running"
    return ckpt_path
