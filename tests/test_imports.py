"""Import hygiene: the contracts in pyproject's [tool.importlinter] hold, and they catch a breach."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(cwd):
    return subprocess.run([LINT_IMPORTS, "--no-cache"], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(cwd), "COLUMNS": "200"})  # one line a contract


def broken(result):
    return {line.removesuffix(" BROKEN") for line in result.stdout.splitlines() if line.endswith(" BROKEN")}


def test_the_import_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


HEADLESS = "The core is headless: only lrtui.ui imports Textual"
RICH = "Only the app and the terminal's outputs draw with rich"
ENGINE = "The engine records nothing and launches nothing: lrtui.engine imports no lrtui.runs, no lrtui.backends"
STORE = "Only the recorder and the readers touch the store"
LAYERS = "The CLI and the app on top, each package importing only those below it"


@pytest.mark.slow
@pytest.mark.parametrize("module, line, contracts", [
    ("schedule/params.py", "import textual", {HEADLESS}),
    ("plan/range_test.py", "import rich", {RICH}),
    ("engine/training.py", "from lrtui.runs import recorder", {ENGINE, LAYERS}),
    ("engine/batched.py", "from lrtui.backends import local", {ENGINE, LAYERS}),
    ("output/sweep_views.py", "from lrtui.runs.store import Store", {STORE}),
    ("judge/scores.py", "from lrtui.ui import app", {LAYERS}),
    ("ui/app.py", "from lrtui.cli import main", {LAYERS}),
    ("schedule/catalogue.py", "from lrtui.plan import presets", {LAYERS}),
    ("judge/verdict.py", "from lrtui.runs import series", {LAYERS}),  # runs and judge are independent
])
def test_a_forbidden_import_breaks_its_contract(tmp_path, module, line, contracts):
    shutil.copytree(ROOT / "lrtui", tmp_path / "lrtui", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    with open(tmp_path / "lrtui" / module, "a") as f:
        f.write(f"\n{line}\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1 and broken(result) == contracts, result.stdout + result.stderr


def test_importing_any_core_module_loads_no_torch():
    """Previews, the CLI's help and the app's first frame must not wait for torch (the contracts cannot
    say so: to import-linter an import inside a function is an import like any other)."""
    code = ("import importlib, pkgutil, sys, lrtui\n"
            "for m in pkgutil.walk_packages(lrtui.__path__, 'lrtui.'):\n"
            "    if m.name.split('.')[1] not in ('ui', '__main__'):\n"
            "        importlib.import_module(m.name)\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'torchvision', 'textual'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("argv", [["--help"], ["list", "schedulers"], ["list", "presets"], ["list", "tasks"]])
def test_help_and_list_answer_without_numpy(argv):
    """numpy is imported where an array is first made (lrtui.lazy), so these answer a tenth of a
    second sooner; scipy likewise, at the first verdict only."""
    code = ("import sys\nfrom lrtui.cli.main import main\ntry:\n    main(%r)\nexcept SystemExit:\n    pass\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'scipy', 'torch'}), file=sys.stderr)" % argv)
    err = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stderr
    assert err.strip().splitlines()[-1] == "[]"
