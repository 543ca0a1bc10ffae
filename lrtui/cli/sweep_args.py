"""A sweep's search space as the command line gives it (`lrtui sweep`, `lrtui preview --sweep`):
--grid KEY=V1,V2,..., --random KEY=DIST(LOW,HIGH) and --samples, over a preset's own [sweep]."""
from __future__ import annotations

import argparse
import re
from typing import Any

from lrtui.schedule.params import ConfigError, one_line, parse_value


def add(p: argparse.ArgumentParser) -> None:
    """A search space's keys on the command line (`lrtui sweep`, `lrtui preview --sweep`)."""
    p.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2,...", help="a grid over these values")
    p.add_argument("--random", action="append", default=[], metavar="KEY=DIST(LOW,HIGH)",
                   help="random values: uniform, log_uniform or int_uniform, drawn --samples times from the seed")
    p.add_argument("--samples", type=int, help="draws of the random keys (each with every grid point; default 1)")


def space(base: Any, args: argparse.Namespace) -> Any:
    """A preset's search space (or none) with the command line's keys."""
    from lrtui.plan import search_space

    given = [(flag, search_space.path(key), read(text)) for flag, read in (("--grid", _values), ("--random", _distribution))
             for key, text in _key_values(getattr(args, flag[2:]), flag)]
    keys = [key for _, key, _ in given]
    twice = next(((flag, key) for flag, key, _ in given if keys.count(key) > 1), None)
    if twice:
        raise ConfigError(twice[0], f"gives {twice[1]} twice")
    table = (base.to_table() if base else {}) | {key: value for _, key, value in given}
    if args.samples is not None:
        table["samples"] = args.samples
    return search_space.space(table)


def _key_values(items: list[str], flag: str) -> list[tuple[str, str]]:
    out = []
    for item in items:
        key, eq, value = (part.strip() for part in one_line(item, flag).partition("="))
        if not eq or not key or not value:
            raise ConfigError("sweep", f"needs KEY=VALUES, got {item!r}")
        out.append((key, value))
    return out


def _values(text: str) -> list:
    """A grid's values: TOML's own reading of them as one array where it reads them (so that a value may
    hold a comma: `"0.9 ** epoch", "1 / (1 + epoch)"`, `[30, 80], [50, 90]`), else each between commas."""
    values = parse_value(f"[{text}]")
    return values if isinstance(values, list) else [parse_value(v) for v in text.split(",")]


def _distribution(text: str) -> dict:
    """uniform(0.1,0.9) as {uniform = [0.1, 0.9]}, as a [sweep] table writes it."""
    match = re.fullmatch(r"(\w+)\(([^,()]*),([^,()]*)\)", text.replace(" ", ""))
    if not match:
        raise ConfigError("sweep", f"a distribution is NAME(LOW,HIGH), such as log_uniform(0.01,1), got {text!r}")
    return {match[1]: [parse_value(match[2]), parse_value(match[3])]}
