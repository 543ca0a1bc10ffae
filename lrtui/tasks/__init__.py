"""Training workloads. Every task, built-in or the user's, follows one contract: `build(ctx)` returns
a mapping with `model`, `train` (re-iterable batches of (inputs, targets)), and optionally `val`,
`loss` (default cross-entropy), `metric` ("accuracy" or None) and `notes` (one-line strings for the user,
such as a warning about the data: a task cannot print). lrtui seeds every RNG with the run's seed
before calling it, so the runs of a comparison share initial weights and batch order.
"""
from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from lrtui.schedule.params import ConfigError

BUILTIN = {  # name: (module, one line, training samples where known in advance)
    "spirals": ("spirals", "3-arm spiral classification, small MLP: seconds on a CPU, lr-sensitive (default)", 6000),
    "shapes": ("shapes", "28x28 drawn shapes (6 classes) with noise, small CNN, augmentation", 4000),
    "mnist": ("vision", "MNIST digits, small CNN (needs the files: --data-dir, --download)", 60000),
    "fashion-mnist": ("vision", "Fashion-MNIST, small CNN (needs the files: --data-dir, --download)", 60000),
    "cifar10": ("vision", "CIFAR-10, ResNet-18 for 32x32 from scratch (needs the files: --data-dir, --download)",
                50000),
    "imagefolder:PATH": ("imagefolder", "your images, one folder per class, resized, split by the seed", None),
}


def known_batches(task: str, batch_size: int) -> int | None:
    """Batches per epoch of a built-in task, known without building it (None for the others)."""
    size = BUILTIN.get(task, (None, None, None))[2]
    return None if size is None else -(-size // batch_size)


@dataclass(frozen=True)
class Context:
    """What a task's build(ctx) is given."""

    device: Any            # torch.device
    batch_size: int
    seed: int
    data_dir: Path | None = None
    download: bool = False


@dataclass(frozen=True)
class Task:
    name: str
    build: Callable[[Context], dict]


def find(name: str) -> Task:
    """The task named `name`: a built-in, `imagefolder:PATH`, or `path/to/file.py:function` (user code,
    only ever from the command line). ConfigError("task", ...) when it does not exist."""
    if ".py:" in name or name.endswith(".py"):
        path = Path(name.rpartition(":")[0] if ".py:" in name else name)
        if not path.is_file():
            raise ConfigError("task", f"no task file {str(path)!r}")
        return Task(name, _user_build(name, path.stat().st_mtime_ns))
    key = "imagefolder:PATH" if name.startswith("imagefolder:") else name
    if key not in BUILTIN:
        raise ConfigError("task", f"unknown task {name!r} (`lrtui list tasks` shows them)")
    module = importlib.import_module(f"lrtui.tasks.{BUILTIN[key][0]}")
    return Task(name, lambda ctx: module.build(ctx, name))


@functools.lru_cache(maxsize=8)
def _user_build(spec: str, mtime_ns: int) -> Callable[[Context], dict]:
    """The file's build function, its module run once per version of the file (`lrtui run` checks
    every task before training, then trains: the file's top level runs once, not twice)."""
    path_text, _, function = spec.rpartition(":") if ".py:" in spec else (spec, "", "build")
    path = Path(path_text)
    module_spec = importlib.util.spec_from_file_location(f"lrtui_user_task_{path.stem}", path)
    module = importlib.util.module_from_spec(module_spec)
    sys.path.insert(0, str(path.parent.resolve()))  # the task may import its neighbours
    try:
        module_spec.loader.exec_module(module)
    except (Exception, SystemExit) as e:  # noqa: BLE001 - the user's code: report it as bad input, one line
        raise ConfigError("task", f"{path_text} failed to load: {type(e).__name__}: {e}") from None
    finally:
        sys.path.remove(str(path.parent.resolve()))
    build = getattr(module, function or "build", None)
    if not callable(build):
        raise ConfigError("task", f"{path_text} defines no function {function or 'build'}(ctx)")
    return build


def check_built(built: Any, name: str) -> dict:
    """The mapping a build returned, checked against the contract, with defaults filled in."""
    import torch

    if not isinstance(built, dict) or "model" not in built or "train" not in built:
        raise ConfigError("task", f"{name}: build(ctx) must return a dict with 'model' and 'train'")
    if not isinstance(built["model"], torch.nn.Module):
        raise ConfigError("task", f"{name}: 'model' must be a torch.nn.Module, got {type(built['model']).__name__}")
    parameters = list(built["model"].parameters())
    if not any(p.requires_grad for p in parameters):
        none = " (none requires grad)" if parameters else ""
        raise ConfigError("task", f"{name}: the model has no parameters to train{none}")
    if any(p.is_meta for p in parameters):
        raise ConfigError("task", f"{name}: the model is on the meta device (its weights were never made)")
    for key in ("train", "val"):
        if isinstance(built.get(key), Iterator):
            raise ConfigError("task", f"{name}: {key!r} is not re-iterable (an iterator, such as a generator, is "
                                      "used up after one pass): give a list or a DataLoader")
    if built.get("metric") not in (None, "accuracy"):
        raise ConfigError("task", f"{name}: 'metric' must be 'accuracy' or None, got {built['metric']!r}")
    notes = built.get("notes", [])
    if not isinstance(notes, list) or not all(isinstance(note, str) for note in notes):
        raise ConfigError("task", f"{name}: 'notes' must be a list of strings, got {notes!r}")
    unknown = set(built) - {"model", "train", "val", "loss", "metric", "notes"}
    if unknown:
        raise ConfigError("task", f"{name}: build(ctx) returned unknown keys {sorted(unknown)}")
    return {"val": None, "loss": torch.nn.functional.cross_entropy, "metric": None, "notes": [], **built}
