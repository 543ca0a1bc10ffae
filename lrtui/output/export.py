"""What leaves lrtui as data: a curve or a run as JSON, a preview or runs as CSV (JSON has no inf or nan)."""
from __future__ import annotations

import csv
import io
import math
from typing import Any

from lrtui.lazy import np
from lrtui.plan.presets import Preset, Run
from lrtui.schedule.preview import Curve


def curve_json(run: Run, curve: Curve, preset: Preset) -> dict:
    doc: dict[str, Any] = {"label": run.label, "scheduler": run.schedule.to_table(),
                           "optimizer": run.optimizer.to_table(),
                           "interval": run.schedule.interval, "warmup": run.schedule.warmup,
                           "epochs": preset.training["epochs"], "length": len(curve.lr),
                           "exact": curve.exact, "lr": curve.lr.tolist()}
    if curve.momentum is not None:
        doc[curve.momentum_name] = curve.momentum.tolist()
    if curve.metric is not None:
        doc["synthetic_metric"] = curve.metric.tolist()
    return doc


def preview_csv(preset: Preset, curves: list[Curve]) -> str:
    """Long format, one row per run and step: run,interval,index,lr,momentum,metric, as csv.writer
    writes it, built as one string (a writer row per step takes seconds for a long run)."""
    lines = ["run,interval,index,lr,momentum,metric"]
    for run, c in zip(preset.runs, curves):
        head, n = _csv_row([run.label, run.schedule.interval]), len(c.lr)
        columns = zip(_reprs(c.lr, n), _reprs(c.momentum, n), _reprs(c.metric, n))
        lines += (f"{head},{i},{lr},{m},{y}" for i, (lr, m, y) in enumerate(columns))
    return "\r\n".join(lines) + "\r\n"


def _csv_row(fields: list[str]) -> str:
    """One row as csv.writer writes it (a field quoted where it needs to be), without its line end."""
    out = io.StringIO()
    csv.writer(out).writerow(fields)
    return out.getvalue().removesuffix("\r\n")


def _reprs(values: np.ndarray | None, n: int) -> Any:
    """Each value as repr writes it (the shortest text that reads back exactly), or n blanks where absent."""
    return [""] * n if values is None else map(float.__repr__, values.tolist())


def run_json(run: dict, steps: bool = False) -> dict:
    """A stored run as `lrtui run --json` and `lrtui export` print it; epochs[e].lr is the lr the
    optimizer used at the start of epoch e."""
    keys = ("epoch", "lr", "train_loss", "val_loss", "val_acc", "seconds")
    doc = {"id": run["id"], "label": run["label"], "scheduler": run["config"].get("scheduler", {}),  # as stored
           "status": run["status"], "error": run["error"], "task": run["task"], "device": run["device"],
           "seed": run["seed"], "epochs": [{k: finite(e[k]) for k in keys} for e in run["epochs"]]}
    if steps:
        doc["config"] = run["config"]
        doc["steps"] = {k: [finite(v) for v in values] for k, values in run["steps"].items()}
    return doc


def finite(value: Any) -> Any:
    """JSON has no inf or nan: a diverged step's loss is written as null."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def export_csv(writer: Any, runs: list[dict]) -> None:
    """Long format: one row per epoch (kind=epoch, loss = train loss) and per stored step (kind=step)."""
    writer.writerow(["run_id", "label", "kind", "index", "lr", "momentum", "loss", "val_loss", "val_acc",
                     "seconds", "samples_per_s"])
    for run in runs:
        for e in run["epochs"]:
            writer.writerow([run["id"], run["label"], "epoch", e["epoch"], e["lr"], "", e["train_loss"],
                             _blank(e["val_loss"]), _blank(e["val_acc"]), e["seconds"], e["samples_per_s"]])
        s = run["steps"]
        for step, lr, mom, loss in zip(s["step"], s["lr"], s["momentum"], s["loss"]):
            writer.writerow([run["id"], run["label"], "step", step, lr, _blank(mom), loss, "", "", "", ""])


def _blank(value: Any) -> Any:
    return "" if value is None else value
