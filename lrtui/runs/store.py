"""The run store: SQLite (WAL) at <runs dir>/runs.sqlite.

A run's row is written when it starts; its steps and epoch are committed together when each epoch
ends, so a killed process loses at most the epoch in progress. A run still marked `running` whose
process is gone reads as `interrupted`. Each thread and process opens its own connection; WAL lets
a headless run write while the TUI reads.

Per-step data is kept whole up to MAX_STEPS steps per run; a longer run keeps one row per `stride`
steps (stride = ceil(total / MAX_STEPS)): the lr at the first step of each window and the mean loss
over the window.

A run's `kind` is `train` (a training run) or `find` (an LR range test: its steps are the sweep).

Nothing is ever written into a store that is damaged (PRAGMA quick_check, when a process opens it to
write) or that this process may not write; a reader opens the latter read-only.
"""
from __future__ import annotations

import json
import os
import shlex
import socket
import sqlite3
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from lrtui.engine.events import Status

SCHEMA_VERSION = 4  # 2: runs.kind; 3: runs.key; 4: runs.comparison and runs.grp
MAX_STEPS = 100_000
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, label TEXT NOT NULL, preset TEXT, config TEXT NOT NULL,
    task TEXT NOT NULL, device TEXT, device_name TEXT, seed INTEGER, status TEXT NOT NULL,
    started REAL NOT NULL, finished REAL, error TEXT, pid INTEGER, host TEXT, stride INTEGER NOT NULL DEFAULT 1,
    kind TEXT NOT NULL DEFAULT 'train', key TEXT, comparison TEXT, grp TEXT);
CREATE TABLE IF NOT EXISTS epochs (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, epoch INTEGER NOT NULL, lr REAL,
    train_loss REAL, val_loss REAL, val_acc REAL, seconds REAL, samples_per_s REAL,
    PRIMARY KEY (run_id, epoch));
CREATE TABLE IF NOT EXISTS steps (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, step INTEGER NOT NULL, lr REAL,
    momentum REAL, loss REAL, PRIMARY KEY (run_id, step));
"""
EPOCH_FIELDS = ("epoch", "lr", "train_loss", "val_loss", "val_acc", "seconds", "samples_per_s")
LISTED = "SELECT r.*, (SELECT COUNT(*) FROM epochs e WHERE e.run_id = r.id) AS n_epochs FROM runs r"
RUN_FIELDS = ("id", "key", "kind", "label", "preset", "task", "device", "device_name", "seed", "status", "started",
              "finished", "error", "comparison", "grp")


class StoreError(Exception):
    """The store cannot be used (a newer schema, a file that is not a database), or a run in it cannot
    be read."""


class Unreadable(StoreError):
    def __init__(self, run_id: int, why: str):
        super().__init__(f"run {run_id}: {why}")
        self.why = why


@dataclass(frozen=True)
class Store:
    path: Path
    readonly: bool = False

    @classmethod
    def at(cls, folder: Path, write: bool = True) -> Store:
        """The store in `folder`, created or brought to this schema. To write (write=True), a store that
        this process may not write, or that is damaged, is refused. A reader (write=False) writes only
        to create or upgrade a store, and opens one it may not write read-only."""
        path = folder / "runs.sqlite"
        if folder.exists() and not folder.is_dir():
            raise StoreError(f"{folder} is not a folder: the runs dir holds runs.sqlite")
        locked = _locked(path)
        if locked and write:
            raise StoreError(f"{path} is read-only ({locked}): nothing can be stored in it; `lrtui runs` and "
                             "`lrtui export` still read it")
        store = cls(path, readonly=bool(locked))
        if not locked:
            folder.mkdir(parents=True, exist_ok=True)
        existed = path.exists() and path.stat().st_size > 0
        with store.session() as db:
            version = _version(db)
            if version is not None and version > SCHEMA_VERSION:
                raise StoreError(f"{path} has schema {version}, newer than this lrtui ({SCHEMA_VERSION})")
            if locked or (version == SCHEMA_VERSION and not write):
                return store
            problems = [line for (text,) in db.execute("PRAGMA quick_check") for line in text.splitlines()
                        if not line.startswith("***")] if existed else ["ok"]
            if problems != ["ok"]:
                raise StoreError(_damaged(path, problems[0]))
            db.executescript(SCHEMA)  # leaves the tables of an older schema as they are
            _add_missing_columns(db, path)
            db.execute("CREATE UNIQUE INDEX IF NOT EXISTS runs_key ON runs(key)")
            db.execute("CREATE INDEX IF NOT EXISTS runs_comparison ON runs(comparison)")
            if version != SCHEMA_VERSION:
                db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        return store

    def connect(self) -> sqlite3.Connection:
        """A new connection (one per thread): WAL, a 10 s wait for a busy writer, foreign keys on. A
        read-only store is opened with mode=ro, which makes SQLite's -shm file beside it, or, in a
        folder where that cannot be made, as immutable (a writer elsewhere goes unseen)."""
        try:
            if self.readonly:
                mode = "mode=ro" if os.access(self.path.parent, os.W_OK) else "immutable=1"
                db = sqlite3.connect(f"{self.path.resolve().as_uri()}?{mode}", uri=True, timeout=10,
                                     isolation_level=None)
            else:
                db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")  # a commit survives a killed process; no fsync per epoch
        except sqlite3.DatabaseError as e:
            raise _error(self.path, e) from None
        db.execute("PRAGMA foreign_keys=ON")
        db.row_factory = sqlite3.Row
        return db

    @contextmanager
    def session(self) -> Iterator[sqlite3.Connection]:
        """A connection for one piece of work, closed after it, its SQLite errors raised as StoreError."""
        db = self.connect()
        try:
            yield db
        except sqlite3.DatabaseError as e:
            raise _error(self.path, e) from None
        finally:
            db.close()

    # -- reading -----------------------------------------------------------------------------------
    def runs(self, unreadable: Callable[[int, str], None] = lambda run_id, why: None) -> list[dict]:
        """Every run, newest first, with its number of epochs and its live status. A row that cannot be
        read (its config is not a JSON object) is left out and handed to `unreadable(run_id, why)`."""
        with self.session() as db:
            return _readable(db.execute(f"{LISTED} ORDER BY r.id DESC"), unreadable)

    def changes(self, since_id: int, running_ids: Iterable[int],
                unreadable: Callable[[int, str], None] = lambda run_id, why: None) -> list[dict]:
        """The runs after `since_id` and those of `running_ids`, oldest first, as `runs` lists them: one
        cheap query for a reader that watches what other processes add to the store or end."""
        ids = list(running_ids)
        with self.session() as db:
            return _readable(db.execute(f"{LISTED} WHERE r.id > ? OR r.id IN ({', '.join('?' * len(ids))}) "
                                        "ORDER BY r.id", (since_id, *ids)), unreadable)

    def ids(self) -> set[int]:
        """The id of every run, readable or not."""
        with self.session() as db:
            return {row[0] for row in db.execute("SELECT id FROM runs")}

    def run(self, run_id: int, steps: bool = True, from_epoch: int = 0, from_row: int = 0) -> dict | None:
        """One run with its epochs from `from_epoch` on and (unless steps=False) its step rows after the
        first `from_row`, read in one transaction: a reader that has the rest reads only what is new.
        None for an id no run has (one beyond SQLite's 64-bit integers among them)."""
        if not -2**63 <= run_id < 2**63:
            return None
        with self.session() as db:
            db.execute("BEGIN")
            row = db.execute(f"{LISTED} WHERE r.id = ?", (run_id,)).fetchone()
            if row is None:
                return None
            run = _run_dict(row)
            run["epochs"] = [dict(e) for e in db.execute(
                f"SELECT {', '.join(EPOCH_FIELDS)} FROM epochs WHERE run_id = ? AND epoch >= ? ORDER BY epoch",
                (run_id, from_epoch))]
            rows = db.execute("SELECT step, lr, momentum, loss FROM steps WHERE run_id = ? ORDER BY step "
                              "LIMIT -1 OFFSET ?", (run_id, from_row)).fetchall() if steps else []
        run["steps"] = {k: [s[k] for s in rows] for k in ("step", "lr", "momentum", "loss")}
        return run

    def comparison(self, comparison: str) -> list[dict]:
        """The runs of a comparison, oldest first, with their epochs (no steps): what a verdict judges."""
        with self.session() as db:
            db.execute("BEGIN")
            runs = [_run_dict(row) for row in db.execute(f"{LISTED} WHERE r.comparison = ? ORDER BY r.id", (comparison,))]
            epochs: dict[int, list[dict]] = {run["id"]: [] for run in runs}
            for row in db.execute(f"SELECT run_id, {', '.join(EPOCH_FIELDS)} FROM epochs WHERE run_id IN "
                                  "(SELECT id FROM runs WHERE comparison = ?) ORDER BY run_id, epoch", (comparison,)):
                epochs[row["run_id"]].append({k: row[k] for k in EPOCH_FIELDS})
        return [run | {"epochs": epochs[run["id"]], "steps": {k: [] for k in ("step", "lr", "momentum", "loss")}}
                for run in runs]

    def last_comparison(self) -> str | None:
        """The comparison of the newest training run that belongs to one."""
        with self.session() as db:
            row = db.execute("SELECT comparison FROM runs WHERE comparison IS NOT NULL AND kind = 'train' "
                             "ORDER BY id DESC LIMIT 1").fetchone()
        return row and row[0]

    def delete(self, run_ids: Iterable[int]) -> int:
        with self.session() as db:
            return sum(db.execute("DELETE FROM runs WHERE id = ?", (i,)).rowcount for i in run_ids)

    # -- writing -----------------------------------------------------------------------------------
    def start(self, label: str, preset: str | None, config: dict, task: str, device: str, device_name: str,
              seed: int, total_steps: int, kind: str = "train", key: str | None = None, comparison: str | None = None,
              group: str | None = None) -> RunWriter:
        """A run's row, written as it starts, under the key its job was planned with (a new one when
        none is given), in its comparison's group if it has one. A run started again under its key (a
        trial retried) replaces what was recorded of it."""
        key = key or uuid.uuid4().hex
        stride = -(-total_steps // MAX_STEPS)
        db = self.connect()
        with db:
            db.execute("BEGIN")
            db.execute("DELETE FROM runs WHERE key = ?", (key,))
            cur = db.execute("INSERT INTO runs (key, label, preset, config, task, device, device_name, seed, "
                             "status, started, pid, host, stride, kind, comparison, grp) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)",
                             (key, label, preset, json.dumps(config), task, device, device_name, seed, time.time(),
                              os.getpid(), socket.gethostname(), stride, kind, comparison, group))
        return RunWriter(db, cur.lastrowid, stride)


class RunWriter:
    """Writes one run from the thread that trains it: steps as they come, each epoch in one commit."""

    def __init__(self, db: sqlite3.Connection, run_id: int, stride: int):
        self.db, self.run_id, self.stride = db, run_id, stride
        self.pending: list[tuple] = []
        self.window: list[float] = []  # losses of the current stride window
        self.window_start: tuple = ()  # (step, lr, momentum) where it began

    def steps(self, first: int, lr: list[float], momentum: list[float] | None, loss: list[float]) -> None:
        for i, (rate, value) in enumerate(zip(lr, loss)):
            step = first + i
            if step % self.stride == 0:
                self.window_start = (step, rate, None if momentum is None else momentum[i])
                self.window = []
            self.window.append(value)
            if (step + 1) % self.stride == 0:
                self._close_window()

    def _close_window(self) -> None:
        if self.window:
            step, rate, mom = self.window_start
            self.pending.append((self.run_id, step, rate, mom, sum(self.window) / len(self.window)))
            self.window = []

    def commit(self, sql: str = "", args: tuple = ()) -> None:
        """Commit the steps so far, with `sql` in the same transaction. A range test calls it as it
        goes (it has no epochs), so that a killed sweep keeps its steps."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO steps VALUES (?, ?, ?, ?, ?)", self.pending)
            if sql:
                self.db.execute(sql, args)
        self.pending = []

    def epoch(self, row: dict) -> None:
        """Commit the epoch and every step before it."""
        self.commit(f"INSERT OR REPLACE INTO epochs (run_id, {', '.join(EPOCH_FIELDS)}) VALUES "
                    f"(?, {', '.join('?' * len(EPOCH_FIELDS))})", (self.run_id, *(row.get(k) for k in EPOCH_FIELDS)))

    def finish(self, status: str, error: str | None = None) -> None:
        """The run's end: whatever steps remain (a partial epoch of a stopped run), and its status."""
        self._close_window()
        self.commit("UPDATE runs SET status = ?, finished = ?, error = ? WHERE id = ?",
                    (status, time.time(), error, self.run_id))
        self.db.close()


def _locked(path: Path) -> str | None:
    """Why this process may not write the store at `path`, or None: the file, or the folder where
    SQLite keeps its -wal and -shm files (for a new store, the nearest folder there is)."""
    if path.exists() and not os.access(path, os.W_OK):
        return "the file is not writable"
    folder = path.parent
    while not folder.exists():
        folder = folder.parent
    return None if os.access(folder, os.W_OK) else f"{folder} is not writable"


def _add_missing_columns(db: sqlite3.Connection, path: Path) -> None:
    """An older store's tables brought to SCHEMA's: each column they lack added, its default what the
    rows before it mean (schema 1's runs were all training runs: kind 'train'; runs before keys and
    comparisons have none). A column no default can fill (a run's label) cannot be made up: StoreError."""
    model = sqlite3.connect(":memory:")
    model.executescript(SCHEMA)
    for (table,) in model.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'sqlite_sequence'"):
        have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        for _, name, kind, notnull, default, _ in model.execute(f"PRAGMA table_info({table})"):
            if name in have:
                continue
            if notnull and default is None:
                raise StoreError(f"{path}: its table {table} has no column {name}, which this lrtui cannot fill in: "
                                 "move the file aside to start a new store")
            db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}{' NOT NULL' * notnull}"
                       + (f" DEFAULT {default}" if default is not None else ""))
    model.close()


def _version(db: sqlite3.Connection) -> int | None:
    """The schema of the store, None for a new one."""
    if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone() is None:
        return None
    row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    return None if row is None else int(row[0])


def _damaged(path: Path, problem: str) -> str:
    where, aside = shlex.quote(str(path)), shlex.quote(f"{path}.damaged")
    return (f"{path} is damaged ({problem}), and lrtui writes nothing into it: move it aside and recover what it "
            f'holds: mv {where} {aside} && sqlite3 {aside} ".recover" | sqlite3 {where}')


def _error(path: Path, error: sqlite3.DatabaseError) -> StoreError:
    """SQLite's error as StoreError: a file that is damaged or not a database says how to recover."""
    if type(error) is sqlite3.DatabaseError:  # not an OperationalError (busy, locked, read-only)
        return StoreError(_damaged(path, str(error)))
    return StoreError(f"{path}: {error}")


def _alive(pid: int, host: str) -> bool:
    if host != socket.gethostname():
        return True  # another machine's run (a shared runs dir): it cannot be checked from here
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _readable(rows: Iterable[sqlite3.Row], unreadable: Callable[[int, str], None]) -> list[dict]:
    """The rows as runs; one that cannot be read is left out and handed to `unreadable(run_id, why)`."""
    runs = []
    for row in rows:
        try:
            runs.append(_run_dict(row))
        except Unreadable as e:
            unreadable(row["id"], e.why)
    return runs


def _run_dict(row: sqlite3.Row) -> dict:
    run = {k: row[k] for k in RUN_FIELDS if k in row.keys()}
    run.setdefault("kind", "train")  # a store of schema 1, read-only so never upgraded: all training runs
    run.setdefault("key", None)  # a store of schema 1 or 2, read-only: runs made before keys
    run["group"] = run.pop("grp", None)  # None for a store older than 4 (read-only) and a run of none
    run.setdefault("comparison", None)
    if run["status"] == Status.RUNNING and not _alive(row["pid"], row["host"]):
        run["status"] = Status.INTERRUPTED
    try:
        run["config"] = json.loads(row["config"])
    except ValueError as e:
        raise Unreadable(row["id"], f"its config is not JSON ({e})") from None
    if not isinstance(run["config"], dict):
        raise Unreadable(row["id"], f"its config is not a JSON object (it is {type(run['config']).__name__})")
    run["n_epochs"] = row["n_epochs"]
    return run

