import os

import pytest

if os.environ.get("PYTEST_XDIST_WORKER"):  # a worker a core (make test): one thread each, not a core's worth
    os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path, monkeypatch):
    """No test reads or writes the real user's presets or runs."""
    monkeypatch.setenv("LRTUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("LRTUI_RUNS_DIR", str(tmp_path / "runs"))


@pytest.fixture
def store(tmp_path):
    """The store at the runs folder that `isolated_dirs` makes the default."""
    from lrtui.runs.store import Store

    return Store.at(tmp_path / "runs")


@pytest.fixture
def cli(capsys):
    """`lrtui ARGS...` run in this process: returns (exit code, stdout, stderr)."""
    from lrtui.cli.main import main

    def run(*argv: str) -> tuple[int, str, str]:
        try:
            code = main(list(argv))
        except SystemExit as e:  # argparse refusing an argument
            code = e.code
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture(autouse=True)
def training_in_a_thread(request, monkeypatch):
    """The app trains in a thread of the test process, which has torch imported already: no child
    process to spawn and no second import of torch per app. A test of the child process itself is
    marked `child_process`."""
    if "child_process" not in request.keywords:
        monkeypatch.setenv("LRTUI_TRAINER", "thread")
