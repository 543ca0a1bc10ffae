"""A small arithmetic language for lr factors: `0.95 ** epoch`, `min(1, (t + 1) / 100)`.

Parsed with `ast` and checked against a whitelist: numbers, variables, + - * / ** %, comparisons,
`a if cond else b`, and the functions below. It is evaluated by walking the tree, never by eval, in
two ways with one meaning, both by numpy's float64 rules: at one point (what LambdaLR calls each
step) and on numpy arrays (the fast preview). `python()` writes it back as plain Python for the
`lrtui code` snippet.
"""
from __future__ import annotations

import ast
import functools
import math
import operator
import sys
from dataclasses import dataclass, field
from typing import Any, Callable

from lrtui.lazy import np
from lrtui.schedule.params import ConfigError

FUNCTIONS = {  # name: (numpy function's name, number of arguments; None for two or more)
    "min": ("minimum", None), "max": ("maximum", None), "exp": ("exp", 1), "log": ("log", 1),
    "sqrt": ("sqrt", 1), "cos": ("cos", 1), "sin": ("sin", 1), "floor": ("floor", 1), "abs": ("abs", 1),
}
CONSTANTS = {"pi": math.pi}
BINARY = {ast.Add: ("+", operator.add), ast.Sub: ("-", operator.sub), ast.Mult: ("*", operator.mul),
          ast.Div: ("/", operator.truediv), ast.Pow: ("**", operator.pow), ast.Mod: ("%", operator.mod)}
COMPARE = {ast.Lt: ("<", operator.lt), ast.LtE: ("<=", operator.le), ast.Gt: (">", operator.gt),
           ast.GtE: (">=", operator.ge), ast.Eq: ("==", operator.eq), ast.NotEq: ("!=", operator.ne)}
MAX_DEPTH = 100  # how deep a tree may nest: evaluating it recurses that deep
LIVE, FOUND = "<live>", "<found>"  # keys of Expr.unsafe's env: where Python evaluates a part, what it met
GRAMMAR = "numbers, + - * / ** %, < <= > >= == !=, `a if c else b`, pi, " + ", ".join(FUNCTIONS)


@dataclass(frozen=True)
class Expr:
    text: str
    tree: ast.expr = field(repr=False)
    _scalar: Callable[[dict], Any] = field(init=False, repr=False, compare=False)
    _vector: Callable[[dict], Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_scalar", _compile(self.tree, vector=False))
        object.__setattr__(self, "_vector", _compile(self.tree, vector=True))

    def scalar(self, **env: float) -> float:
        """The value at one point, by the rules `array` follows (numpy float64): a math error gives
        nan or inf where it happens, so min(1, 10 / t) is 1 at t = 0 on both paths."""
        with np.errstate(all="ignore"):
            return float(self._scalar({k: np.float64(v) for k, v in env.items()}))

    def array(self, **env: Any) -> np.ndarray:
        """The value for every element of the numpy arrays in `env` at once."""
        with np.errstate(all="ignore"):
            env = {k: np.asarray(v, dtype=np.float64) for k, v in env.items()}
            shape = np.broadcast_shapes(*(v.shape for v in env.values()))
            return np.array(np.broadcast_to(self._vector(env), shape), dtype=np.float64)

    def unsafe(self, **env: Any) -> tuple[str, int, float] | None:
        """Where plain Python (the `lrtui code` snippet) cannot follow `array`: the first part that is
        not finite at a point where Python evaluates it (a branch of `a if c else b` only where taken),
        as (the part, the point's index, its value). There Python raises (1 / 0, math.exp(1e6)) or
        computes with integers for ever (10 ** 10 ** 10). None when every part is finite everywhere:
        then Python's floats and ints give what numpy gives."""
        probe = _compile(self.tree, vector=True, probe=True)
        found: list = []
        with np.errstate(all="ignore"):
            env = {k: np.asarray(v, dtype=np.float64) for k, v in env.items()}
            live = np.ones(np.broadcast_shapes(*(v.shape for v in env.values())), dtype=bool)
            probe({**env, LIVE: live, FOUND: found})
        return found[0] if found else None

    def python(self, names: dict[str, str] | None = None) -> str:
        """Plain Python source (math.cos, ...), with variables renamed by `names`."""
        return _source(self.tree, names or {})


@dataclass(frozen=True)
class Formula:
    """Named steps then a result: `i = floor(t / T_0)` ... `decay ** i`. Each step sees those before it."""

    steps: tuple[tuple[str, Expr], ...]
    result: Expr

    def scalar(self, **env: float) -> float:
        for name, e in self.steps:
            env[name] = e.scalar(**env)
        return self.result.scalar(**env)

    def array(self, **env: Any) -> np.ndarray:
        for name, e in self.steps:
            env[name] = e.array(**env)
        return self.result.array(**env)

    def lines(self) -> list[str]:
        return [f"{name} = {e.text}" for name, e in self.steps] + [self.result.text]


def parse_formula(lines: tuple[str, ...], variables: tuple[str, ...]) -> Formula:
    known, steps = tuple(variables), []
    for line in lines[:-1]:
        name, _, text = line.partition("=")
        steps.append((name.strip(), parse(text, known)))
        known += (name.strip(),)
    return Formula(tuple(steps), parse(lines[-1], known))


def parse(text: str, variables: tuple[str, ...], key: str = "expression") -> Expr:
    """`text` checked against the whitelist; ConfigError(key, ...) names what is not allowed."""
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as e:
        raise ConfigError(key, f"cannot read {text!r}: {e.msg}") from None
    except (RecursionError, MemoryError):  # Python's own parser gives up first (10,000 signs: its stack overflows)
        tree = None
    if tree is None or _depth(tree) > MAX_DEPTH:
        raise ConfigError(key, f"cannot read {text[:40]!r}...: it nests more than {MAX_DEPTH} levels deep")
    allowed = set(variables) | set(CONSTANTS)
    callees = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}  # checked with their Call
    for node in ast.walk(tree):
        bad = None if id(node) in callees else _refusal(node, allowed)
        if bad:
            raise ConfigError(key, f"{text!r}: {bad} (allowed: {', '.join(variables)}, {GRAMMAR})")
    return Expr(text.strip(), tree)


def _depth(tree: ast.AST) -> int:
    deepest, todo = 0, [(tree, 1)]
    while todo:
        node, depth = todo.pop()
        deepest = max(deepest, depth)
        todo += [(child, depth + 1) for child in ast.iter_child_nodes(node)]
    return deepest


def _refusal(node: ast.AST, allowed: set[str]) -> str | None:
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, (int, float)) or isinstance(node.value, bool):
            return f"{node.value!r} is not a number"
        return None if abs(node.value) <= sys.float_info.max else \
            f"an integer of {len(str(node.value))} digits is too large for a float"
    if isinstance(node, ast.Name):
        return None if node.id in allowed else f"unknown name {node.id!r}"
    if isinstance(node, ast.Call):
        name = getattr(node.func, "id", None)
        if name not in FUNCTIONS or node.keywords or not isinstance(node.func, ast.Name):
            return f"unknown function {ast.unparse(node.func)!r}"
        arity = FUNCTIONS[name][1]
        if (arity or 2) > len(node.args) or (arity and len(node.args) != arity):
            return f"{name}() takes {arity or 'two or more'} argument{'s' if arity != 1 else ''}"
        return None
    if isinstance(node, ast.Compare):
        return None if len(node.ops) == 1 and type(node.ops[0]) in COMPARE else "use one comparison (< <= > >= == !=)"
    if isinstance(node, ast.BinOp):
        return None if type(node.op) in BINARY else f"operator {type(node.op).__name__} is not allowed"
    if isinstance(node, ast.UnaryOp):
        return None if isinstance(node.op, (ast.USub, ast.UAdd)) else "only unary + and - are allowed"
    if isinstance(node, (ast.IfExp, ast.Load) + tuple(BINARY) + tuple(COMPARE) + (ast.USub, ast.UAdd)):
        return None
    return f"{type(node).__name__} is not allowed"


def _compile(node: ast.expr, vector: bool, probe: bool = False) -> Callable[[dict], Any]:
    """The checked tree as nested closures of env -> value (float64 scalars, or arrays with `vector`),
    so that evaluating it, once per training step for a LambdaLR, costs no dispatch on node types.
    With `probe` (vector only), each part also notes in env[FOUND] where it is not finite in env[LIVE]."""
    value = _closure(node, vector, probe)
    if not probe:
        return value
    part = ast.unparse(node)

    def probed(env: dict) -> Any:
        out = value(env)
        bad = env[LIVE] & ~np.isfinite(out)
        if bad.any() and not env[FOUND]:
            i = int(np.argmax(bad))
            env[FOUND].append((part, i, float(np.broadcast_to(out, bad.shape)[i])))
        return out
    return probed


def _closure(node: ast.expr, vector: bool, probe: bool) -> Callable[[dict], Any]:
    sub = [_compile(n, vector, probe) for n in ast.iter_child_nodes(node) if isinstance(n, ast.expr)]
    if isinstance(node, ast.Constant):  # float64, not float: 1 / 0 is inf, not ZeroDivisionError
        value = np.float64(node.value)
        return lambda env: value
    if isinstance(node, ast.Name):
        if node.id in CONSTANTS:
            value = np.float64(CONSTANTS[node.id])
            return lambda env: value
        name = node.id
        return lambda env: env[name]
    if isinstance(node, ast.BinOp):
        op, (left, right) = BINARY[type(node.op)][1], sub
        return lambda env: op(left(env), right(env))
    if isinstance(node, ast.UnaryOp):
        (operand,) = sub
        return (lambda env: -operand(env)) if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Compare):
        op, (left, right) = COMPARE[type(node.ops[0])][1], sub
        return lambda env: np.float64(op(left(env), right(env))) if not vector else \
            op(left(env), right(env)).astype(np.float64)
    if isinstance(node, ast.IfExp):
        test, body, orelse = sub
        if probe:  # each branch is live only where it is taken
            def pick(env: dict) -> Any:
                taken = np.asarray(test(env) != 0)
                return np.where(taken, body({**env, LIVE: env[LIVE] & taken}),
                                orelse({**env, LIVE: env[LIVE] & ~taken}))
            return pick
        if vector:
            return lambda env: np.where(test(env) != 0, body(env), orelse(env))
        return lambda env: body(env) if test(env) else orelse(env)
    if isinstance(node, ast.Call):
        name, arity = FUNCTIONS[node.func.id]
        fn = getattr(np, name)
        args = sub[1:] if len(sub) > len(node.args) else sub  # the callee's Name is no argument
        if arity is None:  # min/max of two or more: fold the binary ufunc
            return lambda env: functools.reduce(fn, [a(env) for a in args])
        (arg,) = args
        return lambda env: fn(arg(env))
    raise AssertionError(ast.dump(node))


def _source(node: ast.expr, names: dict[str, str]) -> str:
    class Rename(ast.NodeTransformer):
        def visit_Name(self, n: ast.Name) -> ast.AST:
            if n.id in names:
                return ast.Name(names[n.id], ast.Load())
            if n.id in CONSTANTS:
                return ast.Attribute(ast.Name("math", ast.Load()), n.id, ast.Load())
            return n

        def visit_Call(self, n: ast.Call) -> ast.AST:
            self.generic_visit(n)
            if n.func.id not in ("min", "max", "abs"):
                n.func = ast.Attribute(ast.Name("math", ast.Load()), n.func.id, ast.Load())
            return n

    return ast.unparse(Rename().visit(ast.parse(ast.unparse(node), mode="eval")).body)
