"""A sweep's search space as the command line gives it (`lrtui sweep`, `lrtui preview --sweep`):
--grid KEY=V1,V2,..., --random KEY=DIST(LOW,HIGH) and --samples, over a preset's own [sweep]."""
from __future__ import annotations

import argparse
import re
from typing import Any

from lrtui.params import ConfigError, parse_value


def add(p: argparse.ArgumentParser) -> None:
    """A search space's keys on the command line (`lrtui sweep`, `lrtui preview --sweep`)."""
    p.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2,...", help="a grid over these values")
    p.add_argument("--random", action="append", default=[], metavar="KEY=DIST(LOW,HIGH)",
                   help="random values: uniform, log_uniform or int_uniform, drawn --samples times from the seed")
    p.add_argument("--samples", type=int, help="draws of the random keys (each with every grid point; default 1)")


def space(base: Any, args: argparse.Namespace) -> Any:
    """A preset's search space (or none) with the command line's keys."""
    from lrtui import sweeps

    table = base.to_table() if base else {}
    table |= {key: [parse_value(v) for v in values.split(",")] for key, values in map(_key_value, args.grid)}
    table |= {key: _distribution(text) for key, text in map(_key_value, args.random)}
    if args.samples is not None:
        table["samples"] = args.samples
    return sweeps.space(table)


def _key_value(item: str) -> tuple[str, str]:
    key, eq, value = (part.strip() for part in item.partition("="))
    if not eq or not key or not value:
        raise ConfigError("sweep", f"needs KEY=VALUES, got {item!r}")
    return key, value


def _distribution(text: str) -> dict:
    """uniform(0.1,0.9) as {uniform = [0.1, 0.9]}, as a [sweep] table writes it."""
    match = re.fullmatch(r"(\w+)\(([^,()]*),([^,()]*)\)", text.replace(" ", ""))
    if not match:
        raise ConfigError("sweep", f"a distribution is NAME(LOW,HIGH), such as log_uniform(0.01,1), got {text!r}")
    return {match[1]: [parse_value(match[2]), parse_value(match[3])]}
