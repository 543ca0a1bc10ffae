"""`lrtui code`: the snippet is plain torch, runs as it is, and produces the lrs the preview shows."""
import subprocess
import sys
import warnings

import numpy as np
import pytest

from lrtui.output.snippets import snippet
from lrtui.schedule.catalogue import validate
from lrtui.schedule.optimizers import validate_optimizer
from lrtui.schedule.preview import preview, synthetic_metric

EPOCHS, STEPS = 12, 5
SGD = validate_optimizer({"name": "SGD", "lr": 0.1, "momentum": 0.9})
ADAM = validate_optimizer({"name": "Adam", "lr": 0.003})

CASES = [
    (validate("StepLR", {"step_size": 4}), SGD),
    (validate("MultiStepLR", {"milestones": [3, 7]}, warmup=2), SGD),
    (validate("CosineAnnealingLR", {"eta_min": 1e-4}, warmup=3), SGD),
    (validate("CosineAnnealingLR", {}, interval="step"), ADAM),
    (validate("OneCycleLR", {"max_lr": 0.3, "three_phase": True, "pct_start": 0.25}), SGD),
    (validate("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4, "mode": "triangular2"}), ADAM),
    (validate("LambdaLR", {"lr_lambda": "min(1, (epoch + 1) / 4) * 0.9 ** epoch"}), SGD),
    (validate("MultiplicativeLR", {"lr_lambda": "0.9 if epoch < 5 else 1"}), SGD),
    (validate("SequentialLR", {"schedulers": [{"name": "ConstantLR", "params": {"factor": 0.5, "total_iters": 2}},
                                              {"name": "warmup_cosine", "params": {"warmup": 2}}],
                               "milestones": [4]}), SGD),
    (validate("SequentialLR", {"schedulers": [{"name": "ExponentialLR", "params": {"gamma": 0.8}},
                                              {"name": "CosineAnnealingLR", "params": {"T_max": "auto"}}],
                               "milestones": [3]}, warmup=2), SGD),  # one SequentialLR: torch refuses a nested one
    (validate("ChainedScheduler", {"schedulers": [{"name": "ConstantLR", "params": {"total_iters": 3}},
                                                  {"name": "ExponentialLR", "params": {"gamma": 0.9}}]}), SGD),
    (validate("wsd", {"warmup": 6, "shape": "cosine"}), ADAM),
    (validate("wsd", {"warmup": 2, "total": 40, "shape": "1-sqrt"}), SGD),  # total before the run's 60 steps end
    (validate("warmup_cosine", {"warmup": 2, "total": 30, "min_ratio": 0.2}), ADAM),
    (validate("cosine_restarts_decay", {"T_0": 3, "T_mult": 2}, warmup=2), SGD),
    (validate("inverse_sqrt", {"warmup": 5}), ADAM),
    (validate("poly_warmup", {"warmup": 5, "power": 2.0}), SGD),
    (validate("ReduceLROnPlateau", {"patience": 1, "factor": 0.5}), SGD),
    (validate("ReduceLROnPlateau", {"patience": 1, "factor": 0.5}, warmup=3), SGD),
    (validate("LambdaLR", {"lr_lambda": "1 if epoch == 0 else min(1, 3 / epoch)"}), SGD),
    (validate("MultiplicativeLR", {"lr_lambda": "min(1, 5 / epoch)"}), SGD),  # torch calls it from epoch 1 on
]


def snippet_lrs(code: str, metric: np.ndarray | None) -> list[float]:
    """Runs the snippet, recording the lr each optimizer step uses; per-epoch runs give one per epoch."""
    recorded = code.replace("        optimizer.step()\n",
                            "        LRS.append(optimizer.param_groups[0]['lr'])\n        optimizer.step()\n")
    assert recorded != code
    if metric is not None:
        recorded = recorded.replace("val_loss = 1.0", "val_loss = float(METRIC[epoch])")
    namespace = {"LRS": [], "METRIC": metric}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(recorded, "<lrtui code>", "exec"), namespace)
    per_step = "TOTAL = EPOCHS * STEPS_PER_EPOCH" in code
    return namespace["LRS"] if per_step else namespace["LRS"][::STEPS]


@pytest.mark.parametrize("schedule, optimizer", CASES, ids=lambda c: getattr(c, "name", ""))
def test_snippet_trains_with_the_lrs_of_the_preview(schedule, optimizer):
    length = EPOCHS * STEPS if schedule.interval == "step" else EPOCHS
    code = snippet(schedule, optimizer, EPOCHS, STEPS)
    assert "lrtui" not in code.split("\n", 1)[1]  # plain torch: nothing of lrtui past the title comment
    metric = synthetic_metric(length, "min") if schedule.spec.needs_metric else None
    expected = preview(schedule, optimizer, length).lr
    assert np.allclose(snippet_lrs(code, metric), expected, rtol=1e-12, atol=0)


def test_auto_values_are_written_in_terms_of_the_run_length():
    code = snippet(validate("CosineAnnealingLR", {}, warmup=5), SGD, 100, 10)
    assert "T_max=TOTAL - 5" in code and "TOTAL = EPOCHS" in code
    code = snippet(validate("OneCycleLR", {"max_lr": 0.1}), SGD, 100, 10)
    assert "total_steps=TOTAL" in code and "TOTAL = EPOCHS * STEPS_PER_EPOCH" in code


@pytest.mark.slow
def test_snippet_runs_on_its_own_in_a_fresh_python(tmp_path):
    path = tmp_path / "snippet.py"
    path.write_text(snippet(validate("warmup_cosine", {"warmup": 3, "min_ratio": 0.1}), ADAM, 3, 4)
                    + "print(optimizer.param_groups[0]['lr'])\n")
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, check=True).stdout
    assert float(out) == pytest.approx(0.1 * 0.003, rel=1e-12)  # after TOTAL steps: min_ratio x base


def test_code_command_prints_one_block_per_run_of_a_preset(cli):
    code, out, _ = cli("code", "seed-four")
    assert code == 0
    for label in ("StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR"):
        assert f"# {label}: " in out
    assert out.count("scheduler = ") == 4


@pytest.mark.parametrize("text, says", [
    ("10 ** 10 ** 10", "LambdaLR gives an lr of inf at epoch 0"),  # the preview's own checks come first
    ("exp(1e6)", "LambdaLR gives an lr of inf at epoch 0"),
    ("1 / 0", "LambdaLR gives an lr of inf at epoch 0"),
    ("min(1, 10 / epoch)", "plain Python cannot compute 10 / epoch at epoch 0"),
    ("min(1, 10 ** 10 ** 10)", "plain Python cannot compute 10 ** 10 ** 10 at epoch 0"),
    ("1 if epoch < 5 else max(0.1, log(12 - epoch))", "plain Python cannot compute log(12 - epoch) at epoch 12"),
])
def test_code_refuses_what_the_snippet_could_not_run_as_the_preview_shows(cli, text, says):
    """The last case fails only in the snippet's final scheduler.step(), after the run's last epoch (11)."""
    code, out, err = cli("code", "LambdaLR", "--set", f"lr_lambda={text!r}".replace("'", '"'), "--epochs", str(EPOCHS))
    assert (code, out) == (2, "") and says in err and len(err.splitlines()) == 1

