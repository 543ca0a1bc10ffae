"""The user's keys: <config dir>/keymap.toml maps the app's binding ids to keys, as Textual's
`App.set_keymap` takes them (`run = "R"`, `compare = "C,ctrl+r"`). Each entry is checked: an id no
binding has, a key Textual has no name for, or a key two bindings would share is refused, naming the
file and the id, and that binding keeps its default key."""
from __future__ import annotations

import tomllib
from pathlib import Path

from textual.binding import Binding
from textual.keys import Keys, key_to_character

MODIFIERS = ("ctrl", "shift", "alt", "super", "meta", "hyper")
NAMES = {key.value for key in Keys}


def read(path: Path, bindings: list[Binding]) -> tuple[dict[str, str], list[str]]:
    """(the keymap, a line for each entry refused) from `path`; no file: no keymap, nothing said."""
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, []
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        return {}, [f"{path}: not read ({e}); the default keys are kept"]
    ids = {b.id: b for b in bindings if b.id}
    keymap: dict[str, str] = {}
    problems: list[str] = []
    for name, keys in table.items():
        if problem := _problem(name, keys, ids):
            problems.append(f"{path}: {name}: {problem}; its default key is kept")
        else:
            keymap[name] = keys
    while clash := _clash(bindings, keymap):  # judged on the keys all the moves give: a swap is fine
        name, key, other = clash
        problems.append(f"{path}: {name}: {key!r} would be the key of {other} too; its default key is kept")
        del keymap[name]
    return keymap, problems


def shown(binding: Binding, keymap: dict[str, str]) -> str:
    """The keys of `binding` as the keymap has moved them (else its own)."""
    return keymap.get(binding.id, binding.key) if binding.id else binding.key


def _problem(name: str, keys: object, ids: dict[str, Binding]) -> str | None:
    if name not in ids:
        return f"no binding has this id (the ids: {', '.join(sorted(ids))})"
    if not isinstance(keys, str) or not _split(keys):
        return f"needs keys as a string, such as \"R\" or \"ctrl+r,f5\", got {keys!r}"
    bad = next((key for key in _split(keys) if not _known(key)), None)
    return f"{bad!r} is no key Textual knows (such as R, ctrl+r, f5, question_mark)" if bad else None


def _split(keys: str) -> list[str]:
    return [key.strip() for key in keys.split(",") if key.strip()]


def _known(key: str) -> bool:
    *modifiers, base = key.split("+") if key != "+" else ["+"]
    return (all(m in MODIFIERS for m in modifiers)
            and (len(base) == 1 and base.isprintable() or base in NAMES or key_to_character(base) is not None))


def _clash(bindings: list[Binding], keymap: dict[str, str]) -> tuple[str, str, str] | None:
    """(a moved binding's id, its key, the binding that has it too), if two bindings share a key."""
    owner: dict[str, str] = {}
    for binding in sorted(bindings, key=lambda b: b.id in keymap):  # the moved ones last: they are refused
        for key in _split(shown(binding, keymap)):
            if key in owner and binding.id in keymap:
                return binding.id, key, owner[key]
            owner.setdefault(key, binding.id or binding.action)
    return None
