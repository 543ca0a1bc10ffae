"""End to end in a real terminal: lrtui in tmux, driven by keys, read off the screen."""
import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest

from lrtui.output import words
from lrtui.runs.store import Store

pytestmark = pytest.mark.xdist_group("tmux")  # one worker drives the terminals, one at a time

PRESET = """name = "aaa-e2e"
description = "two quick runs for the end-to-end test"
[training]
epochs = 200
batch_runs = 2
[optimizer]
name = "SGD"
lr = 0.1
[[runs]]
label = "e2e-step"
scheduler = { name = "StepLR", params = { step_size = 50 } }
[[runs]]
label = "e2e-cos"
scheduler = { name = "CosineAnnealingLR" }
"""


class Terminal:
    def __init__(self, command: list[str], env: dict, size=(80, 24)):
        assert shutil.which("tmux"), "tmux is needed for the end-to-end test (.ci/run installs it)"
        self.name = f"lrtui-e2e-{uuid.uuid4().hex[:8]}"
        self.socket = f"/tmp/{self.name}.sock"
        shell = " ".join(f"{k}={v}" for k, v in env.items()) + " " + " ".join(command) + "; echo EXITED $?; sleep 60"
        subprocess.run(["tmux", "-S", self.socket, "new-session", "-d", "-s", self.name, "-x", str(size[0]),
                        "-y", str(size[1]), shell], check=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "-S", self.socket, "capture-pane", "-p", "-t", self.name],
                              capture_output=True, text=True).stdout

    def keys(self, *keys: str) -> None:
        """Keys sent, not waited for: each test then waits for what only those keys put on the screen."""
        subprocess.run(["tmux", "-S", self.socket, "send-keys", "-t", self.name, *keys], check=True)

    def wait(self, text: str, seconds: float = 30, count: int = 1) -> str:
        """The screen, once `text` is on it (`count` times at least); looked at every 0.2 s."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            screen = self.screen()
            if screen.count(text) >= count:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared {count} time(s); the screen:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True)


@pytest.fixture
def terminal(tmp_path):
    (tmp_path / "config" / "presets").mkdir(parents=True)
    (tmp_path / "config" / "presets" / "aaa-e2e.toml").write_text(PRESET)
    env = {"LRTUI_CONFIG_DIR": tmp_path / "config", "LRTUI_RUNS_DIR": tmp_path / "runs", "TERM": "xterm-256color",
           "LRTUI_TRAINER": "process", "PATH": os.environ["PATH"]}
    term = Terminal([sys.executable, "-m", "lrtui"], env)
    yield term
    term.close()


@pytest.mark.slow
def test_load_a_preset_compare_stop_and_quit(terminal, tmp_path):
    terminal.wait("schedulers")
    terminal.wait("ready", 30)  # torch loaded in the background
    terminal.keys("p")
    terminal.wait("Presets (Enter loads")  # the picker's own line ("Presets" alone is in the footer)
    terminal.keys("Enter")  # aaa-e2e sorts first
    terminal.wait("aaa-e2e: 2 run(s)")  # loaded: the notification ("e2e" alone is in the picker's list)
    terminal.keys("c")
    terminal.wait("e2e-step: epoch", 60)
    terminal.keys("s")
    terminal.wait("stopped", 10)
    terminal.keys("q")
    terminal.wait("EXITED 0", 5)
    runs = Store.at(tmp_path / "runs").runs()
    assert sorted(r["label"] for r in runs) == ["e2e-cos", "e2e-step"]  # stop ended both, at one epoch
    assert {r["status"] for r in runs} == {"stopped"} and len({r["n_epochs"] for r in runs}) == 1
    assert 0 < runs[0]["n_epochs"] < 200


@pytest.mark.slow
def test_find_an_lr_and_apply_it(terminal, tmp_path):
    terminal.wait("ready", 30)
    terminal.keys("f")
    terminal.wait("a sets lr", 60)
    screen = terminal.wait("LR range test (finished)", 10)  # the chart replots at its next tick, after the status line
    assert "lr (log10)" in screen
    terminal.keys("a")
    terminal.wait("(the minimum lr)", 10)  # the notification of what went where: "lr = ... (the minimum lr)"
    terminal.keys("q")
    terminal.wait("EXITED 0", 5)
    runs = Store.at(tmp_path / "runs").runs()
    assert [(r["kind"], r["status"]) for r in runs] == [("find", "finished")]


@pytest.mark.slow
def test_a_comparison_over_seeds_ends_in_the_verdict_the_command_line_gives(terminal, tmp_path):
    seeded = PRESET.replace('name = "aaa-e2e"', 'name = "aab-seeds"').replace("epochs = 200", "epochs = 2\nseeds = 3")
    (tmp_path / "config" / "presets" / "aab-seeds.toml").write_text(seeded)
    terminal.wait("ready", 30)
    terminal.keys("p")
    terminal.wait("Presets (Enter loads")  # the picker's own line ("Presets" alone is in the footer)
    terminal.keys("Down", "Enter")  # aab-seeds, after aaa-e2e
    terminal.wait("aab-seeds: 2 run(s)")
    terminal.keys("c")
    screen = terminal.wait("3/3   finished", 90)
    screen = terminal.wait("3/3   finished", 20, count=2)  # both schedules' rows, each with its three seeds done
    assert screen.count("3/3   finished") == 2 and "mean±95%" in screen
    from lrtui.judge import scores, verdict

    store = Store.at(tmp_path / "runs")
    runs = store.comparison(store.last_comparison())
    assert len(runs) == 6
    judged = verdict.compare(scores.group_scores(map(scores.Entry.stored, runs), verdict.DEFAULT_METRIC))
    terminal.wait(f"comparison {runs[0]['comparison']}: ", 10)  # the notification says its verdict in full
    terminal.wait(f"verdict: {words.short(judged.verdict)}"[:40], 20)  # the status line, under it, cut at 80 columns
    terminal.keys("q")
    terminal.wait("EXITED 0", 5)
