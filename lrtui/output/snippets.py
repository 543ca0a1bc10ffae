"""`lrtui code`: a plain-torch snippet that builds the same optimizer and scheduler, and the loop.

The snippet runs as it is (a stand-in model, optimizer steps without gradients), so a test can run
it and compare the lrs it produces with the preview. Values that were "auto" are written in terms
of TOTAL, the number of scheduler steps in the run. What the preview refuses gets no snippet, nor
does an expression that plain Python cannot compute as lrtui does (numpy's float64, where 1 / 0 is inf).
"""
from __future__ import annotations

from lrtui.lazy import np
from lrtui.schedule.catalogue import Schedule, resolve, warmup_milestones
from lrtui.schedule.expr import Expr
from lrtui.schedule.optimizers import OPTIMIZERS, OptimizerConfig
from lrtui.schedule.params import AUTO, ConfigError
from lrtui.schedule.preview import preview
from lrtui.schedule.recipes import formula
from lrtui.schedule.specs import Spec


def snippet(schedule: Schedule, optimizer: OptimizerConfig, epochs: int, steps_per_epoch: int,
            label: str = "") -> str:
    per_step = schedule.interval == "step"
    length = schedule.length(epochs, steps_per_epoch)
    preview(schedule, optimizer, length)  # what the preview refuses, no snippet writes
    code = _Code(f"TOTAL - {schedule.warmup}" if schedule.warmup else "TOTAL", length)
    spec, params = schedule.spec, resolve(schedule, length)
    n, plateau = schedule.warmup, spec.needs_metric
    warmup = f"LinearLR(optimizer, start_factor=1 / {n + 1}, end_factor=1.0, total_iters={n})"
    if n:
        code.imports.add("LinearLR")
    if n and not plateau:  # one SequentialLR, as catalogue.build makes it
        code.imports.add("SequentialLR")
        flat = spec.name == "SequentialLR"
        after = code.children(params) if flat else [code.scheduler(spec, schedule.params, params)]
        main = _sequential([warmup, *after], warmup_milestones(spec, params, n))
    else:
        main = code.scheduler(spec, schedule.params, params)
    defaults = {p.name: p.default for p in OPTIMIZERS[optimizer.name]}
    args = ", ".join(f"{k}={v!r}" for k, v in optimizer.params.items() if k == "lr" or v != defaults[k])
    lines = [f"# {label + ': ' if label else ''}{schedule.name} ({schedule.spec.summary}), stepped once per "
             f"{'batch' if per_step else 'epoch'}" + (f" after {n} {schedule.interval}s of linear warmup" if n else ""),
             *(["import math"] if code.uses_math else []),
             "import torch",
             f"from torch.optim.lr_scheduler import {', '.join(sorted(code.imports))}",
             "",
             f"EPOCHS = {epochs}",
             f"STEPS_PER_EPOCH = {steps_per_epoch}  # len(train_loader)",
             f"TOTAL = {'EPOCHS * STEPS_PER_EPOCH' if per_step else 'EPOCHS'}  # scheduler steps in the run",
             "", *code.prelude,
             "model = torch.nn.Linear(2, 2)  # stand-in: your model",
             f"optimizer = torch.optim.{optimizer.name}(model.parameters(), {args})"]
    if n and plateau:
        lines.append(f"warmup = {warmup}")
    lines += [f"scheduler = {main}", "", "for epoch in range(EPOCHS):",
              "    for step in range(STEPS_PER_EPOCH):  # for inputs, targets in train_loader:",
              "        # loss = loss_fn(model(inputs), targets); optimizer.zero_grad(); loss.backward()",
              "        optimizer.step()"]
    if per_step:
        lines.append("        scheduler.step()  # every batch, after optimizer.step()")
    elif plateau:
        lines += ["    val_loss = 1.0  # your validation loss for this epoch",
                  *(["    if epoch < {}:".format(n), "        warmup.step()", "    else:",
                     "        scheduler.step(val_loss)"] if n else ["    scheduler.step(val_loss)"])]
    else:
        lines.append("    scheduler.step()  # every epoch, after the epoch's optimizer steps")
    return "\n".join(lines) + "\n"


def stored_snippet(config: dict, label: str = "") -> str:
    """`snippet` of a stored run's config (as the engine planned it): its schedule, optimizer and
    training settings checked again as they would be today."""
    from lrtui.plan.presets import Preset, training_settings
    from lrtui.schedule.catalogue import validate
    from lrtui.schedule.optimizers import validate_optimizer

    scheduler, training = config["scheduler"], training_settings(config["training"])
    schedule = validate(scheduler["name"], scheduler["params"], interval=config["interval"], warmup=config["warmup"])
    return snippet(schedule, validate_optimizer(config["optimizer"]), training["epochs"],
                   Preset("", training=training).steps_per_epoch, label)


def _sequential(schedulers: list[str], milestones: list[int]) -> str:
    items = "".join(f"    {s},\n" for s in schedulers)
    return f"SequentialLR(optimizer, schedulers=[\n{items}], milestones={milestones})"


class _Code:
    """Collects what the scheduler expression needs: imports, helper functions, math."""

    def __init__(self, auto: str, length: int):
        self.auto = auto  # how a top-level "auto" is written: TOTAL, or TOTAL - warmup
        self.length = length  # scheduler steps in the run
        self.imports: set[str] = set()
        self.prelude: list[str] = []
        self.functions = 0
        self.uses_math = False

    def scheduler(self, spec: Spec, raw: dict, params: dict, top: bool = True) -> str:
        if spec.kind == "composite":
            self.imports.add(spec.name)
            if spec.name == "SequentialLR":
                return _sequential(self.children(params), params["milestones"])
            children = "".join(f"    {c},\n" for c in self.children(params))
            return f"ChainedScheduler([\n{children}], optimizer=optimizer)"
        if spec.kind == "recipe":
            self.imports.add("LambdaLR")
            return f"LambdaLR(optimizer, {self._recipe(spec, raw, params, top)})"
        self.imports.add(spec.name)
        if "lr_lambda" in params:
            self._plain(spec, params["lr_lambda"])
        args = "".join(f", {p.name}={self._value(raw[p.name], params[p.name], top)}" for p in spec.params
                       if p.required or raw[p.name] == AUTO or raw[p.name] != p.default)
        return f"{spec.name}(optimizer{args})"

    def children(self, params: dict) -> list[str]:
        """A composite's children, their values as resolved (an "auto" in a child is its segment's length)."""
        return [self.scheduler(s, p, p, top=False) for s, p in params["schedulers"]]

    def _value(self, raw: object, value: object, top: bool) -> str:
        if raw == AUTO and top:
            return self.auto
        if hasattr(value, "python"):  # an lr_lambda expression
            source = value.python()
            self.uses_math |= "math." in source
            return f"lambda epoch: {source}"
        return repr(value)

    def _plain(self, spec: Spec, f: Expr) -> None:
        """ConfigError unless plain Python computes lr_lambda as lrtui does (numpy float64) at every
        step torch calls it: 0 .. length (the last step() after the last epoch calls it too), from 1
        for MultiplicativeLR."""
        epochs = np.arange(1 if spec.name == "MultiplicativeLR" else 0, self.length + 1)
        found = f.unsafe(epoch=epochs)
        if found:
            part, i, value = found
            raise ConfigError("lr_lambda", f"{spec.name} lr_lambda: plain Python cannot compute {part} at epoch "
                              f"{epochs[i]} (numpy: {value:g}), so the snippet would fail there: keep every part "
                              "finite (guard a division with max(epoch, 1), say)")

    def _recipe(self, spec: Spec, raw: dict, params: dict, top: bool) -> str:
        self.functions += 1
        name = "lr_factor" if self.functions == 1 else f"lr_factor_{self.functions}"
        f = formula(spec, params)
        names = [p.name for p in spec.params if p.kind != "choice"]
        values = ", ".join(self._value(raw[k], params[k], top) for k in names)
        body = [f"    {k} = {e.python()}" for k, e in f.steps] + [f"    return {f.result.python()}"]
        self.uses_math |= any("math." in line for line in body)
        self.prelude += [f"def {name}(t):", f'    """{spec.name}: {spec.summary}."""',
                         f"    {', '.join(names)} = {values}",
                         *body, "", ""]
        return name
