import pytest


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path, monkeypatch):
    """No test reads or writes the real user's presets or runs."""
    monkeypatch.setenv("LRTUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("LRTUI_RUNS_DIR", str(tmp_path / "runs"))
