"""The lab notebook: one small JSON file per training run, numbered in launch order.

`lab/experiments/NNNN-<run name>.json` holds what is needed to reproduce and judge a run: its
goal (written at launch), git hash and dirty flag, config, the manifests of its data, start and
end, the evaluations over steps with a thinned loss curve, and final results. The run directory
(`runs/NAME/`, gitignored, with checkpoints) can be deleted; the notebook is committed and stays.
`render_page` turns it into `lab/README.md` with a plot per run.

Training records itself through `start_experiment` -> `sync_metrics` -> `finish_experiment`;
runs made before (or without) that are backfilled from their files by `import_run`.
Only JSON here: matplotlib is imported where a plot is drawn, torch never.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lector.core.errors import InputError, LectorError

NOTEBOOK = Path("lab")
MAX_LOSS_POINTS = 200
# the settings that tell runs apart, shown on the page (the record keeps the whole config)
CONFIG_HIGHLIGHTS = ("steps", "batch_size", "lr", "warmup_steps", "real_ratio", "channels", "lstm_hidden", "seed",
                     "init_from")


class UnknownExperiment(LectorError):
    """No experiment with that number in the notebook."""

    exit_code = 2


@dataclass
class Experiment:
    """One training run. `status`: running (recorded live), finished (reached its last step),
    or stopped (imported short of its last step, with no live run recording it)."""

    number: int
    name: str
    run_dir: str
    goal: str
    git: str
    dirty: bool
    config: dict
    data: list[dict]
    started: str
    ended: str | None = None
    status: str = "running"
    resumed: list[dict] = field(default_factory=list)       # {"at", "git"}: code may change between resumes
    last_step: int = 0
    metrics: list[dict] = field(default_factory=list)       # evaluation rows: step, loss, val_* dicts
    loss_curve: list[list[float]] = field(default_factory=list)  # [step, loss], thinned
    final: dict = field(default_factory=dict)               # the last evaluation, plus `add_result` entries

    @property
    def path_name(self) -> str:
        return f"{self.number:04d}-{self.name}.json"

    @property
    def val_sets(self) -> list[str]:
        return sorted({key for row in self.metrics for key in row if key.startswith("val_")})


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S")


def _experiments_dir(notebook_dir: Path) -> Path:
    return Path(notebook_dir) / "experiments"


def _save(exp: Experiment, notebook_dir: Path) -> None:
    """Written to a temporary name and renamed, so `lab list` never reads half a record."""
    path = _experiments_dir(notebook_dir) / exp.path_name
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(exp), indent=1) + "\n")
    os.replace(tmp, path)


def list_experiments(notebook_dir: Path = NOTEBOOK) -> list[Experiment]:
    """All experiments, newest (highest number) first."""
    paths = sorted(_experiments_dir(notebook_dir).glob("[0-9][0-9][0-9][0-9]-*.json"), reverse=True)
    return [Experiment(**json.loads(p.read_text())) for p in paths]


def load_experiment(number: int, notebook_dir: Path = NOTEBOOK) -> Experiment:
    paths = list(_experiments_dir(notebook_dir).glob(f"{number:04d}-*.json"))
    if not paths:
        raise UnknownExperiment(f"no experiment {number} in the notebook {notebook_dir}/ (see `lector lab list`)")
    return Experiment(**json.loads(paths[0].read_text()))


def find_run(run_dir: Path, notebook_dir: Path = NOTEBOOK) -> Experiment | None:
    """The experiment that recorded `run_dir`, if any."""
    target = Path(run_dir).resolve()
    return next((e for e in list_experiments(notebook_dir) if Path(e.run_dir).resolve() == target), None)


def describe_data(path: str) -> dict:
    """The facts of a data directory's manifest: its own, or (for `train`/`val` parts of a real
    crop set) the parent's manifest with the part's counts."""
    own, parent = Path(path) / "manifest.json", Path(path).parent / "manifest.json"
    if own.is_file():
        return {"path": path, "manifest": json.loads(own.read_text())}
    if parent.is_file():
        manifest = json.loads(parent.read_text())
        if isinstance(manifest.get(Path(path).name), dict):
            facts = {k: v for k, v in manifest.items() if not isinstance(v, dict)}
            return {"path": path, "manifest": {**facts, "part": Path(path).name, **manifest[Path(path).name]}}
    return {"path": path, "manifest": "missing"}


def _data_of(config: dict) -> list[dict]:
    roles = [("train-synth", d) for d in config.get("synth_dirs", [])]
    roles += [("train-real", d) for d in config.get("real_dirs", [])]
    roles += [("val-synth", config.get("val_synth_dir", "")), ("val-real", config.get("val_real_dir", ""))]
    return [{"role": role, **describe_data(d)} for role, d in roles if d]


def _git_of(config: dict) -> str:
    """The hash in the config (what `train` wrote to config.json), else the working tree's now."""
    if config.get("git"):
        return config["git"]
    from lector.synth.shards import git_revision
    return git_revision()


def start_experiment(config: dict, run_dir: str | Path, notebook_dir: Path = NOTEBOOK) -> int:
    """Record a run at launch and return its number; a resumed run keeps its record and number."""
    git = _git_of(config)
    exp = find_run(Path(run_dir), notebook_dir)
    if exp is not None:
        exp.resumed.append({"at": _now(), "git": git})
        exp.status, exp.ended = "running", None
    else:
        exp = _new_experiment(config, run_dir, git, notebook_dir)
    _save(exp, notebook_dir)
    return exp.number


def _new_experiment(config: dict, run_dir: str | Path, git: str, notebook_dir: Path) -> Experiment:
    numbers = [e.number for e in list_experiments(notebook_dir)]
    return Experiment(number=max(numbers, default=0) + 1, name=Path(run_dir).name, run_dir=str(run_dir),
                      goal=config.get("goal", ""), git=git.removesuffix("-dirty"), dirty=git.endswith("-dirty"),
                      config={k: v for k, v in config.items() if k not in ("git", "started")},
                      data=_data_of(config), started=config.get("started") or _now())


def _read_metrics(metrics_path: Path) -> list[dict]:
    """The logged rows, one per step (a resumed run may log a step twice: the later row wins).
    A line being written while we read is skipped."""
    by_step = {}
    if Path(metrics_path).is_file():
        for line in Path(metrics_path).read_text().splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            by_step[row["step"]] = row
    return [by_step[s] for s in sorted(by_step)]


def _thin(points: list[list[float]], most: int = MAX_LOSS_POINTS) -> list[list[float]]:
    """At most `most` evenly spaced points, the first and the last always among them."""
    if len(points) <= most:
        return points
    return [points[round(i * (len(points) - 1) / (most - 1))] for i in range(most)]


def _apply_metrics(exp: Experiment, metrics_path: Path) -> None:
    rows = _read_metrics(metrics_path)
    exp.metrics = [{k: v for k, v in row.items() if k in ("step", "loss") or k.startswith("val_")}
                   for row in rows if any(k.startswith("val_") for k in row)]
    exp.loss_curve = _thin([[row["step"], row["loss"]] for row in rows if "loss" in row])
    exp.last_step = rows[-1]["step"] if rows else 0
    if exp.metrics:
        exp.final.update({k: v for k, v in exp.metrics[-1].items() if k != "loss"})


def sync_metrics(number: int, metrics_path: Path, notebook_dir: Path = NOTEBOOK) -> Experiment:
    """Bring the record's evaluations, loss curve and final metrics up to date with metrics.jsonl."""
    exp = load_experiment(number, notebook_dir)
    _apply_metrics(exp, metrics_path)
    _save(exp, notebook_dir)
    return exp


def finish_experiment(number: int, notebook_dir: Path = NOTEBOOK) -> Experiment:
    exp = load_experiment(number, notebook_dir)
    exp.status, exp.ended = "finished", _now()
    _save(exp, notebook_dir)
    return exp


def add_result(number: int, key: str, value, notebook_dir: Path = NOTEBOOK) -> Experiment:
    """A final evaluation made after training (e.g. `lector eval-words` on held-out crops)."""
    exp = load_experiment(number, notebook_dir)
    exp.final[key] = value
    _save(exp, notebook_dir)
    return exp


def import_run(run_dir: str | Path, notebook_dir: Path = NOTEBOOK) -> int:
    """Backfill (or refresh) the record of an existing run directory from its files.

    Importing the same run again updates its record instead of adding one. The end time of a
    run that was not recorded live is the last write of its metrics.jsonl.
    """
    config_path = Path(run_dir) / "config.json"
    if not config_path.is_file():
        raise InputError("no config.json: not a training run directory", str(run_dir))
    config = json.loads(config_path.read_text())
    exp = find_run(Path(run_dir), notebook_dir)
    if exp is None:
        exp = _new_experiment(config, run_dir, _git_of(config), notebook_dir)
        exp.status = "stopped"
    metrics_path = Path(run_dir) / "metrics.jsonl"
    _apply_metrics(exp, metrics_path)
    last_write = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(metrics_path.stat().st_mtime)) \
        if metrics_path.is_file() else None
    if exp.last_step >= exp.config.get("steps", float("inf")):
        exp.status, exp.ended = "finished", exp.ended or last_write
    elif exp.status != "running":           # a live run's own record knows better
        exp.status, exp.ended = "stopped", last_write
    _save(exp, notebook_dir)
    return exp.number


def started_order(run_dirs: list[str | Path]) -> list[Path]:
    """Run directories in the order they were started (their config.json says when)."""
    def started(run_dir: Path) -> str:
        path = run_dir / "config.json"
        return json.loads(path.read_text()).get("started", "") if path.is_file() else ""
    return sorted(map(Path, run_dirs), key=started)


# ---- reading the notebook: lines for the terminal, a markdown page with plots ----

def _short_git(exp: Experiment) -> str:
    return exp.git[:7] + ("*" if exp.dirty else "")


def _swa(exp: Experiment, val_set: str) -> str:
    scores = exp.final.get(val_set)
    return f"{scores['swa']:.3f}/{scores['swa_ci']:.3f}" if isinstance(scores, dict) and "swa" in scores else "-"


def _scores(scores: dict) -> str:
    return f"SWA {scores['swa']:.3f} (case-insensitive {scores['swa_ci']:.3f}), CER {scores['cer']:.3f}, n {scores['n']}"


def _progress(exp: Experiment) -> str:
    return f"{exp.status} at step {exp.last_step} of {exp.config.get('steps', '?')}"


def format_list(experiments: list[Experiment]) -> str:
    """One line per experiment; SWA as exact/case-insensitive on the final evaluation."""
    lines = [f"{'#':>4}  {'run':<24} {'started':<16}  {'status':<8}  {'git':<8}  {'real SWA':<11}  "
             f"{'synth SWA':<11}  goal"]
    for e in experiments:
        goal = e.goal if len(e.goal) <= 80 else e.goal[:79] + "…"
        lines.append(f"{e.number:>4}  {e.name:<24} {e.started[:16].replace('T', ' '):<16}  {e.status:<8}  "
                     f"{_short_git(e):<8}  {_swa(e, 'val_real'):<11}  {_swa(e, 'val_synth'):<11}  {goal}")
    return "\n".join(lines)


def _data_line(entry: dict) -> str:
    manifest = entry["manifest"]
    if not isinstance(manifest, dict):
        return f"{entry['role']} `{entry['path']}`: manifest {manifest}"
    facts = ", ".join(f"{k} {str(v)[:12] if k == 'git' else v}" for k, v in manifest.items()
                      if not isinstance(v, (dict, list)))
    return f"{entry['role']} `{entry['path']}`: {facts}"


def _final_heading(exp: Experiment) -> str:
    return f"final (last evaluation at step {exp.final['step']}):" if "step" in exp.final else "final:"


def _final_lines(exp: Experiment) -> list[str]:
    lines = []
    for key, value in exp.final.items():
        if key != "step":
            is_scores = isinstance(value, dict) and {"swa", "swa_ci", "cer", "n"} <= value.keys()
            lines.append(f"{key}: {_scores(value) if is_scores else json.dumps(value)}")
    return lines


def format_experiment(exp: Experiment) -> str:
    """The whole record for `lector lab show`, the thinned loss curve summarised."""
    lines = [f"experiment {exp.number}: {exp.name} ({exp.run_dir})", f"goal: {exp.goal or '-'}",
             f"status: {_progress(exp)}; started {exp.started}, ended {exp.ended or '-'}",
             f"git: {exp.git}{' (dirty: uncommitted changes)' if exp.dirty else ''}"]
    lines += [f"resumed: {r['at']} at {r['git']}" for r in exp.resumed]
    lines += ["config:"] + [f"  {k}: {json.dumps(v)}" for k, v in exp.config.items()]
    lines += ["data:"] + [f"  {_data_line(d)}" for d in exp.data]
    lines += ["evaluations:"]
    for row in exp.metrics:
        scores = "; ".join(f"{k[4:]} {_scores(row[k])}" for k in exp.val_sets if k in row)
        lines.append(f"  step {row['step']:>6}  loss {row['loss']:.4f}  {scores}")
    lines += [f"loss curve: {len(exp.loss_curve)} points (plot: `lector lab page`)", _final_heading(exp)]
    lines += [f"  {line}" for line in _final_lines(exp)]
    return "\n".join(lines)


def plot_experiment(exp: Experiment, out_png: Path) -> Path:
    """Error rate (1 - SWA, case-insensitive) and CER against step for each validation set,
    with the training loss below on a log scale."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 5), dpi=100)
    FigureCanvasAgg(fig)
    errors, loss = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    for val_set, colour in zip(exp.val_sets, ("tab:blue", "tab:orange", "tab:green")):
        rows = [r for r in exp.metrics if val_set in r]
        steps = [r["step"] for r in rows]
        label = val_set[4:]
        errors.plot(steps, [1 - r[val_set]["swa_ci"] for r in rows], "o-", color=colour,
                    label=f"{label}: 1 - SWA (case-insens.)")
        errors.plot(steps, [r[val_set]["cer"] for r in rows], "s--", color=colour, label=f"{label}: CER")
    errors.set_ylabel("error rate")
    errors.set_ylim(bottom=0)
    errors.grid(alpha=0.3)
    if exp.val_sets:
        errors.legend(fontsize=8)
    errors.set_title(f"#{exp.number} {exp.name}", fontsize=10)
    loss.plot([p[0] for p in exp.loss_curve], [p[1] for p in exp.loss_curve], color="tab:grey", lw=1)
    loss.set_yscale("log")
    loss.set_ylabel("CTC loss")
    loss.set_xlabel("step")
    loss.grid(alpha=0.3)
    fig.tight_layout()
    out_png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_png)
    return out_png


def _table_cell(exp: Experiment, val_set: str) -> str:
    scores = exp.final.get(val_set)
    return f"{scores['swa_ci']:.3f} / {scores['cer']:.3f}" if isinstance(scores, dict) and "swa_ci" in scores else "-"


def render_page(notebook_dir: Path = NOTEBOOK) -> Path:
    """Write `README.md` and `plots/NNNN.png` in the notebook; returns the page's path."""
    notebook_dir = Path(notebook_dir)
    experiments = list_experiments(notebook_dir)
    by_run = {Path(e.run_dir).resolve(): e.number for e in experiments}
    lines = ["# Lab notebook", "",
             "Every training run, newest first. Generated by `lector lab page` from `experiments/*.json`; "
             "do not edit by hand. SWA is case-insensitive (the SROIE truth is upper-cased), CER exact-case; "
             "`*` after a git hash: the tree had uncommitted changes.", "",
             "| # | run | started | status | git | real SWA / CER | synth SWA / CER | goal |",
             "|---:|---|---|---|---|---|---|---|"]
    for e in experiments:
        lines.append(f"| {e.number} | [{e.name}](#{e.number}-{e.name}) | {e.started[:16].replace('T', ' ')} | "
                     f"{e.status} | `{_short_git(e)}` | {_table_cell(e, 'val_real')} | "
                     f"{_table_cell(e, 'val_synth')} | {e.goal.replace('|', '/')} |")
    for e in experiments:
        plot = plot_experiment(e, notebook_dir / "plots" / f"{e.number:04d}.png")
        init_from = e.config.get("init_from")
        parent = by_run.get(Path(init_from).parent.resolve()) if init_from else None
        highlights = ", ".join(f"{k} {e.config[k]}" for k in CONFIG_HIGHLIGHTS if e.config.get(k) not in (None, ""))
        lines += ["", f"## {e.number} {e.name}", "", f"**Goal:** {e.goal or '-'}", "",
                  f"- {_progress(e)}; started {e.started}, ended {e.ended or '-'}"
                  + (f", resumed {len(e.resumed)} time(s)" if e.resumed else ""),
                  f"- git `{e.git}`" + (" (dirty)" if e.dirty else ""),
                  f"- config: {highlights}" + (f" (continues experiment {parent})" if parent else "")]
        lines += [f"- data: {_data_line(d)}" for d in e.data]
        lines += [f"- {_final_heading(e)}"] + [f"  - {line}" for line in _final_lines(e)]
        lines += ["", f"![{e.name}: error rate and loss against step]({plot.relative_to(notebook_dir)})"]
    page = notebook_dir / "README.md"
    page.write_text("\n".join(lines) + "\n")
    return page
