"""Typed parameter declarations: one `Param` per knob, read by validation, the CLI, presets and the form.

A `Param` knows its type, default, constraint and help. `check` turns a raw value (from TOML, the
command line or a form field) into a clean one or raises `ConfigError` naming the rule it broke.
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from typing import Any, Callable

REQUIRED = object()  # default of a parameter the user must give
AUTO = "auto"        # a value derived from the run length
INT_LIMIT = 2 ** 63  # an integer field holds what torch and numpy hold: 64 bits
SHOWN = 60           # the most characters of a value an error message quotes


class ConfigError(ValueError):
    """Bad input: `key` says where (a dotted path), `problem` says what rule it broke."""

    def __init__(self, key: str, problem: str):
        super().__init__(f"{key}: {problem}" if key else problem)
        self.key, self.problem = key, problem

    def __reduce__(self) -> tuple:  # pickled with its two arguments (a Ray worker's error travels so)
        return ConfigError, (self.key, self.problem)

    def under(self, prefix: str) -> ConfigError:
        """The same error seen from a containing table (`runs[1].scheduler.params` + `gamma`)."""
        return ConfigError(f"{prefix}.{self.key}" if self.key else prefix, self.problem)


@dataclass(frozen=True)
class Rule:
    """A constraint on one value: `text` completes "needs ..." in an error message."""

    text: str
    ok: Callable[[Any], bool]


def at_least(lo: float) -> Rule:
    return Rule(f">= {lo:g}", lambda v: v >= lo)


def above(lo: float) -> Rule:
    return Rule(f"> {lo:g}", lambda v: v > lo)


def below(hi: float) -> Rule:
    return Rule(f"< {hi:g}", lambda v: v < hi)


def between(lo: float, hi: float, *, open_lo: bool = False, open_hi: bool = False) -> Rule:
    text = f"in {'(' if open_lo else '['}{lo:g}, {hi:g}{')' if open_hi else ']'}"
    return Rule(text, lambda v: (v > lo if open_lo else v >= lo) and (v < hi if open_hi else v <= hi))


SORTED_DISTINCT = Rule("sorted with no repeats", lambda v: all(a < b for a, b in zip(v, v[1:])))
SORTED = Rule("sorted (a repeat counts twice)", lambda v: all(a <= b for a, b in zip(v, v[1:])))
NOT_EMPTY = Rule("at least one entry", lambda v: len(v) > 0)

KINDS = {"int": "an integer", "float": "a number", "bool": "true or false", "choice": "one of",
         "ints": "a list of integers", "floats": "a list of numbers", "expr": "an expression",
         "table": "a list of tables", "str": "a string", "seeds": "a count of seeds",
         "batch": "a number of runs"}

LISTS = ("ints", "floats", "table")


@dataclass(frozen=True)
class Param:
    name: str
    kind: str                      # a key of KINDS
    default: Any = REQUIRED
    help: str = ""
    rules: tuple[Rule, ...] = ()
    choices: tuple[str, ...] = ()
    auto: bool = False             # accepts "auto": derived from the run length
    example: Any = None            # a required parameter's value to start from (the form, `lrtui list`)
    item_rules: tuple[Rule, ...] = field(default=(), repr=False)  # rules for each list item

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def rule_text(self) -> str:
        """What a valid value looks like, in words: `an integer >= 1, or "auto"`."""
        if self.kind == "choice":
            text = "one of " + ", ".join(repr(c) for c in self.choices)
        elif self.kind in ("str", "batch") and self.rules:
            text = " or ".join(r.text for r in self.rules)
        else:
            text = " ".join([KINDS[self.kind], *(r.text for r in self.item_rules)])
            if self.rules:
                text += (", " if self.kind in LISTS else " ") + ", ".join(r.text for r in self.rules)
        return text + (', or "auto"' if self.auto else "")

    def check(self, value: Any, owner: str) -> Any:
        """The clean value, or ConfigError(name, "<owner> needs <rule>, got <value>")."""
        if self.auto and value == AUTO:
            return AUTO
        if value is None and self.default is None:  # an optional value left unset (a cleared form field)
            return None
        clean = _coerce(self, value)
        if clean is None or not all(r.ok(clean) for r in self.rules):
            raise ConfigError(self.name, f"{owner} needs {self.rule_text()}, got {_show(value)}")
        return clean


def _coerce(p: Param, v: Any) -> Any:
    """`v` as the declared kind, or None when it is not one."""
    if p.kind in ("int", "float"):
        return number(v, p.kind)
    if p.kind == "bool":
        return v if isinstance(v, bool) else None
    if p.kind == "choice":
        return v if v in p.choices else None
    if p.kind in ("ints", "floats"):
        items = [number(x, p.kind[:-1]) for x in v] if isinstance(v, list) else [None]
        return items if None not in items and _items_ok(p, items) else None
    if p.kind == "seeds":  # a count, or a list: in TOML, or as the command line and a field write one (0,3,7)
        if isinstance(v, str) and "," in v:
            v = [parse_value(x) for x in v.split(",")]
        return _coerce(Param(p.name, "ints" if isinstance(v, list) else "int"), v)
    if p.kind == "batch":  # a count, or "off" (the Param takes "auto" itself)
        return v if v == "off" else number(v, "int")
    if p.kind in ("expr", "str"):
        return v if isinstance(v, str) else None
    if p.kind == "table":
        return v if isinstance(v, list) and all(isinstance(x, dict) for x in v) else None
    raise AssertionError(p.kind)


def number(v: Any, kind: str) -> int | float | None:
    """`v` as an "int" (one that 64 bits hold, as torch and numpy need) or a finite "float", or None
    (a 3000-digit integer is neither)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    if kind == "int":
        return v if isinstance(v, int) and -INT_LIMIT <= v < INT_LIMIT else None
    try:
        value = float(v)
    except OverflowError:
        return None
    return value if math.isfinite(value) else None


def _items_ok(p: Param, items: list) -> bool:
    return all(r.ok(x) for r in p.item_rules for x in items)


def _show(v: Any) -> str:
    """`v` as an error message quotes it: a huge integer by its size, any long value cut short."""
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= INT_LIMIT:
        return f"an integer of {len(str(abs(v)))} digits"
    text = '"' + v + '"' if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else repr(v)
    return text if len(text) <= SHOWN else f"{text[:SHOWN - 20]}... ({len(text)} characters)"


def check_all(params: tuple[Param, ...], raw: dict, owner: str) -> dict:
    """Every declared parameter checked, defaults filled in; unknown or missing names refused."""
    names = {p.name for p in params}
    for key in raw:
        if key not in names:
            known = ", ".join(sorted(names)) or "none"
            raise ConfigError(key, f"{owner} has no parameter {key!r} (it takes: {known})")
    clean = {}
    for p in params:
        if p.name in raw:
            clean[p.name] = p.check(raw[p.name], owner)
        elif p.required:
            raise ConfigError(p.name, f"{owner} needs {p.name}: {p.rule_text()}")
        else:
            clean[p.name] = p.default
    return clean


def one_line(item: str, flag: str) -> str:
    """A command-line item that holds no line break: TOML would read its first line and drop the rest."""
    if "\n" in item or "\r" in item:
        raise ConfigError(flag, f"a value holds a line break (the text after it would be lost): {item!r}")
    return item


def parse_value(text: str) -> Any:
    """A command-line value read as TOML (`0.1`, `[30, 80]`, `"cos"`, `true`); bare words stay strings."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except ValueError:  # TOMLDecodeError, or an integer of more digits than Python converts (4300)
        return text
