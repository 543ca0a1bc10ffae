"""Where lrtui finds and keeps things; each place can be moved by an environment variable (tests do)."""
from __future__ import annotations

import os
from pathlib import Path

import platformdirs

SHIPPED_PRESETS = Path(__file__).resolve().parent.parent / "presets"


def config_dir() -> Path:
    """$LRTUI_CONFIG_DIR, else the platform's user config dir (~/.config/lrtui)."""
    return Path(os.environ.get("LRTUI_CONFIG_DIR") or platformdirs.user_config_dir("lrtui"))


def user_presets_dir() -> Path:
    """<config dir>/presets: the user's own presets."""
    return config_dir() / "presets"


def keymap_file() -> Path:
    """<config dir>/keymap.toml: the app's keys the user moved (binding id = "keys")."""
    return config_dir() / "keymap.toml"


def runs_dir(given: str | Path | None = None) -> Path:
    """--runs-dir, else $LRTUI_RUNS_DIR, else the platform's user data dir (~/.local/share/lrtui)."""
    return Path(given or os.environ.get("LRTUI_RUNS_DIR") or platformdirs.user_data_dir("lrtui"))


def data_dir(given: str | Path | None = None) -> Path:
    """Where torchvision datasets are looked for: --data-dir, else $LRTUI_DATA_DIR, else <user data>/data."""
    return Path(given or os.environ.get("LRTUI_DATA_DIR") or Path(platformdirs.user_data_dir("lrtui")) / "data")
