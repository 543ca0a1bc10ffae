"""The safe expression language (lrtui.schedule.expr): what it computes, what it refuses, and that refusing
never runs anything. Expected values are plain Python written here by hand."""
from __future__ import annotations

import ast
import builtins
import math

import numpy as np
import pytest

from lrtui.schedule.expr import Expr, Formula, parse, parse_formula
from lrtui.schedule.params import ConfigError

T = np.arange(0.0, 60.0)  # the points every valid expression is checked at

# text, the same computation written by hand in Python (of t)
VALID = [
    ("0.95 ** t", lambda t: 0.95 ** t),
    ("min(1, (t + 1) / 100)", lambda t: min(1, (t + 1) / 100)),
    ("max(0.1, 1 - t / 50)", lambda t: max(0.1, 1 - t / 50)),
    ("min(1, t / 10, 0.5 + t / 100)", lambda t: min(1, t / 10, 0.5 + t / 100)),
    ("max(t / 60, 0.2, 0.3 - t)", lambda t: max(t / 60, 0.2, 0.3 - t)),
    ("0.5 * (1 + cos(pi * t / 40))", lambda t: 0.5 * (1 + math.cos(math.pi * t / 40))),
    ("exp(-t / 20)", lambda t: math.exp(-t / 20)),
    ("log(t + 1)", lambda t: math.log(t + 1)),
    ("sqrt(t + 1)", lambda t: math.sqrt(t + 1)),
    ("sin(t / 3) + 2", lambda t: math.sin(t / 3) + 2),
    ("floor(t / 7)", lambda t: math.floor(t / 7)),
    ("abs(t - 20)", lambda t: abs(t - 20)),
    ("t % 7", lambda t: t % 7),
    ("(t - 30) % 7", lambda t: (t - 30) % 7),  # Python's floor modulo, also for negatives
    ("-t + 3", lambda t: -t + 3),
    ("+t * 2 - 1", lambda t: +t * 2 - 1),
    ("2 ** -1 * t", lambda t: 2 ** -1 * t),
    ("1 if t < 10 else 0.1", lambda t: 1 if t < 10 else 0.1),
    ("1 if t <= 10 else 0.1", lambda t: 1 if t <= 10 else 0.1),
    ("0.1 if t > 10 else 1", lambda t: 0.1 if t > 10 else 1),
    ("0.1 if t >= 10 else 1", lambda t: 0.1 if t >= 10 else 1),
    ("2 if t == 10 else 1", lambda t: 2 if t == 10 else 1),
    ("2 if t != 10 else 1", lambda t: 2 if t != 10 else 1),
    ("(t >= 5) * 3 + (t < 5)", lambda t: (t >= 5) * 3 + (t < 5)),
    ("t / 10 if t < 10 else (0.5 if t % 2 == 0 else 0.25)",
     lambda t: t / 10 if t < 10 else (0.5 if t % 2 == 0 else 0.25)),
    ("1 if 2 > 1 else 0", lambda t: 1.0),            # no variable at all
    ("t * (1 if 2 > 1 else 0)", lambda t: t),        # a comparison of two constants
    ("0.9", lambda t: 0.9),
    ("1e-3 * 2", lambda t: 2e-3),
]


@pytest.mark.parametrize("text, by_hand", VALID, ids=[v[0] for v in VALID])
def test_scalar_and_array_equal_the_same_python(text, by_hand):
    e = parse(text, ("t",))
    expected = np.array([by_hand(float(t)) for t in T], dtype=np.float64)
    scalars = np.array([e.scalar(t=t) for t in T])
    assert all(isinstance(e.scalar(t=t), float) for t in T[:3])
    np.testing.assert_allclose(scalars, expected, rtol=1e-12, atol=0)
    array = e.array(t=T)
    assert array.shape == T.shape and array.dtype == np.float64
    np.testing.assert_allclose(array, expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("text, by_hand", VALID, ids=[v[0] for v in VALID])
def test_python_source_runs_with_math_and_gives_the_same_values(text, by_hand):
    """What the `lrtui code` snippet does with an expression: plain Python in a namespace holding
    math and the variable (renamed here, as the snippet renames it)."""
    src = parse(text, ("t",)).python({"t": "step"})
    assert "__" not in src
    for t in T:
        namespace = {"math": math, "step": float(t)}
        exec(f"result = {src}", namespace)  # noqa: S102 - this is what the snippet does
        assert namespace["result"] == pytest.approx(by_hand(float(t)), rel=1e-12, abs=0)


def test_python_source_names_math_functions_and_renames_variables():
    src = parse("min(1, warmup / (t + 1)) * cos(pi * t)", ("t", "warmup")).python({"t": "step"})
    assert src == "min(1, warmup / (step + 1)) * math.cos(math.pi * step)"


def test_two_variables_broadcast_and_a_scalar_argument_gives_a_full_array():
    e = parse("t / warmup if t < warmup else sqrt(warmup / t)", ("t", "warmup"))
    t = np.arange(0.0, 20.0)
    expected = [x / 5 if x < 5 else math.sqrt(5 / x) for x in t]
    np.testing.assert_allclose(e.array(t=t, warmup=5), expected, rtol=1e-12)
    assert [e.scalar(t=x, warmup=5) for x in t] == pytest.approx(expected, rel=1e-12)
    # a constant expression evaluated "on" an array is that constant everywhere
    np.testing.assert_array_equal(parse("0.5", ("t",)).array(t=t), np.full(20, 0.5))


def test_text_is_kept_stripped():
    e = parse("  0.95 ** t \n", ("t",))
    assert isinstance(e, Expr) and e.text == "0.95 ** t"


# Every construct outside the whitelist: (text, a word the message must contain)
REFUSED = [
    ("t.real", "Attribute"),
    ("t.__class__", "Attribute"),
    ("().__class__.__bases__[0].__subclasses__()", "unknown function"),
    ("__import__('os')", "unknown function '__import__'"),
    ("__import__('os').system('true')", "unknown function"),
    ("lambda: 1", "Lambda"),
    ("(lambda x: x)(t)", "unknown function"),
    ("[1, 2]", "List"),
    ("[t for t in (1, 2)]", "ListComp"),
    ("(1, 2)", "Tuple"),
    ("{1: 2}", "Dict"),
    ("{1}", "Set"),
    ("'abc'", "'abc' is not a number"),
    ("f'{t}'", "JoinedStr"),
    ("True", "True is not a number"),
    ("False + 1", "False is not a number"),
    ("None", "None is not a number"),
    ("1 if True else 0", "True is not a number"),
    ("1j", "1j is not a number"),
    ("...", "Ellipsis is not a number"),
    ("x + 1", "unknown name 'x'"),
    ("os", "unknown name 'os'"),
    ("epoch", "unknown name 'epoch'"),          # only the declared variables
    ("foo(t)", "unknown function 'foo'"),
    ("eval('1')", "unknown function 'eval'"),
    ("exec('1')", "unknown function 'exec'"),
    ("open('/etc/passwd')", "unknown function 'open'"),
    ("getattr(t, 'real')", "unknown function 'getattr'"),
    ("math.cos(t)", "unknown function 'math.cos'"),
    ("round(t)", "unknown function 'round'"),
    ("min(t, key=abs)", "unknown function 'min'"),  # keyword arguments
    ("cos(t, 1)", "cos() takes 1 argument"),
    ("cos()", "cos() takes 1 argument"),
    ("min(t)", "min() takes two or more arguments"),
    ("max()", "max() takes two or more arguments"),
    ("0 < t < 1", "one comparison"),
    ("t[0]", "Subscript"),
    ("t and 1", "BoolOp"),
    ("not t", "unary"),
    ("~t", "unary"),
    ("t // 2", "FloorDiv"),
    ("t << 1", "LShift"),
    ("t @ t", "MatMult"),
    ("(y := 2)", "NamedExpr"),
    ("min(*t, 1)", "Starred"),
    ("1" + "0" * 400 + " * t", "too large for a float"),  # an integer no float64 holds
]


@pytest.mark.parametrize("text, says", REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_constructs_raise_config_error_naming_the_problem(text, says):
    with pytest.raises(ConfigError) as info:
        parse(text, ("t",), key="lr_lambda")
    assert info.value.key == "lr_lambda"
    assert says in info.value.problem
    assert repr(text) in info.value.problem  # the message quotes what the user wrote


@pytest.mark.parametrize("text", ["", "t +", "1; import os", "import os", "t = 1", "(", "if t: 1"])
def test_unreadable_text_is_a_config_error(text):
    with pytest.raises(ConfigError) as info:
        parse(text, ("t",), key="lr_lambda")
    assert info.value.key == "lr_lambda" and "cannot read" in info.value.problem


def test_refused_text_never_runs(tmp_path, monkeypatch):
    """Text that would run a command, write a file or import a module is refused before any of it
    happens; and valid text is evaluated without eval or exec."""
    target = tmp_path / "pwned"
    attacks = [
        f"__import__('os').system('touch {target}')",
        f"open('{target}', 'w').write('x')",
        f"(lambda: __import__('os').system('touch {target}'))()",
        f"[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'Popen'][0]('touch {target}')",
        f"exec(\"open('{target}', 'w')\")",
    ]
    for text in attacks:
        with pytest.raises(ConfigError):
            parse(text, ("t",))
    assert not target.exists()

    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    e = parse("min(1, (t + 1) / 10) * 0.5 ** floor(t / 3)", ("t",))
    assert e.scalar(t=4) == pytest.approx(0.5 * 0.5)
    assert e.array(t=np.array([4.0]))[0] == pytest.approx(0.25)


# Math errors: no exception, the IEEE value numpy gives: (text, t, expected)
MATH_ERRORS = [
    ("log(-1)", 0, math.nan),
    ("log(t - 1)", 0, math.nan),
    ("sqrt(-1)", 0, math.nan),
    ("1/0", 0, math.inf),
    ("1 / t", 0, math.inf),
    ("-1 / t", 0, -math.inf),
    ("0 / t", 0, math.nan),
    ("(-8) ** (1/3)", 0, math.nan),  # Python would give a complex number; numpy gives nan
    ("(t - 8) ** (1/3)", 0, math.nan),
    ("exp(1000)", 0, math.inf),
    ("exp(1000 * t)", 1, math.inf),
    ("10.0 ** 400", 0, math.inf),
    ("t ** 400", 10, math.inf),
]


@pytest.mark.parametrize("text, t, expected", MATH_ERRORS, ids=[m[0] for m in MATH_ERRORS])
def test_math_errors_give_nan_or_inf_on_both_paths(text, t, expected):
    e = parse(text, ("t",))
    scalar, array = e.scalar(t=t), e.array(t=np.array([float(t), float(t)]))
    if math.isnan(expected):
        assert math.isnan(scalar) and np.isnan(array).all()
    else:
        assert scalar == expected and (array == expected).all()


# A math error inside a larger expression: both paths must still agree (the fast preview uses
# `array`, training's LambdaLR uses `scalar`): (text, t, the value numpy's rules give)
CONTAINED = [
    ("min(1, 10 / t)", 0, 1.0),               # inf, then capped
    ("max(0, log(t))", 0, 0.0),               # -inf, then floored
    ("min(1, exp(1000 * t))", 1, 1.0),
    ("0.1 if t == 0 else 1 / t", 0, 0.1),      # only the branch taken matters
    ("min(1, (t - 5) ** 0.5)", 0, math.nan),  # nan is not "capped" away
    ("abs((t - 8) ** (1 / 3))", 0, math.nan),
    ("1 if (t - 5) ** 0.5 < 1 else 2", 0, 2.0),  # nan compares false
    ("floor((t - 1) ** 0.5)", 0, math.nan),
]


@pytest.mark.parametrize("text, t, expected", CONTAINED, ids=[c[0] for c in CONTAINED])
def test_contained_math_errors_agree_between_scalar_and_array(text, t, expected):
    e = parse(text, ("t",))
    scalar, array = e.scalar(t=t), float(e.array(t=np.array([float(t)]))[0])
    if math.isnan(expected):
        assert math.isnan(scalar) and math.isnan(array)
    else:
        assert scalar == expected == array


def test_formula_steps_see_the_steps_before_them():
    f = parse_formula(("a = t * 2", "b = a + 1", "b ** 2 - a"), ("t",))
    assert isinstance(f, Formula)
    assert [name for name, _ in f.steps] == ["a", "b"]
    assert f.lines() == ["a = t * 2", "b = a + 1", "b ** 2 - a"]
    t = np.arange(0.0, 10.0)
    expected = [(2 * x + 1) ** 2 - 2 * x for x in t]
    assert [f.scalar(t=x) for x in t] == expected
    np.testing.assert_array_equal(f.array(t=t), expected)


def test_formula_with_parameters_matches_hand_written_warmup_cosine():
    f = parse_formula(("s = (t - warmup) / (total - warmup)",
                       "t / warmup if t < warmup else 0.5 * (1 + cos(pi * s))"), ("t", "warmup", "total"))
    t = np.arange(0.0, 50.0)
    expected = [x / 10 if x < 10 else 0.5 * (1 + math.cos(math.pi * (x - 10) / 40)) for x in t]
    np.testing.assert_allclose(f.array(t=t, warmup=10, total=50), expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose([f.scalar(t=x, warmup=10, total=50) for x in t], expected, rtol=1e-12, atol=1e-15)


def test_formula_step_cannot_use_a_later_name_or_an_unknown_one():
    with pytest.raises(ConfigError, match="unknown name 'b'"):
        parse_formula(("a = b + 1", "b = t", "a"), ("t",))
    with pytest.raises(ConfigError, match="unknown name 'z'"):
        parse_formula(("a = t", "a + z"), ("t",))
    with pytest.raises(ConfigError, match="unknown function '__import__'"):
        parse_formula(("a = __import__('os')", "a"), ("t",))


@pytest.mark.parametrize("terms", [900, 3000])
def test_too_deep_an_expression_is_a_config_error_not_a_recursion_error(terms):
    """900 terms parse in Python but recurse too deep to evaluate; 3000 break Python's own parser."""
    with pytest.raises(ConfigError) as info:
        parse(" + ".join(["t"] * terms), ("t",), key="lr_lambda")
    assert info.value.key == "lr_lambda" and "levels deep" in info.value.problem


def test_a_long_but_shallow_expression_is_fine():
    e = parse(" + ".join(["t"] * 90), ("t",))
    assert e.scalar(t=2) == 180.0 and e.array(t=np.array([1.0]))[0] == 90.0
    assert parse("(" * 60 + "t" + ")" * 60, ("t",)).scalar(t=3) == 3.0


def test_a_huge_power_of_constants_is_inf_at_once_not_an_integer_for_ever():
    """Constants are float64: 10 ** 10 ** 10 overflows to inf instead of building a 10-billion-digit int."""
    e = parse("10 ** 10 ** 10", ("t",))
    assert e.scalar(t=0) == math.inf and (e.array(t=T) == math.inf).all()
    assert parse("min(1, 10 ** 10 ** 10)", ("t",)).scalar(t=0) == 1.0


def plain_python(text: str, t: int) -> float | None:
    """The expression at integer t (as LambdaLR passes it) in plain Python, as the snippet runs it; None
    where Python raises or gives no real number. Only called where `unsafe` found nothing to fear, or
    where a failure comes at once (no int bombs in these lists)."""
    try:
        value = eval(parse(text, ("t",)).python(), {"math": math, "t": t})  # noqa: S307 - the snippet's Python
        return float(value) if isinstance(value, (int, float)) else None
    except (ArithmeticError, ValueError, TypeError):
        return None


PLAIN = [(text, t) for text, t, _ in MATH_ERRORS + CONTAINED] + [
    ("0.1 if t == 0 else min(1, 10 / t)", 0), ("min(1, 10 / max(t, 1))", 0), ("log(t) if t > 0 else 0", 0),
    ("2 ** floor(t * 100)", 9), ("2 ** floor(t * 100)", 11), ("0.95 ** t", 30), ("1e308 * 10 * 0", 0),
]


@pytest.mark.parametrize("text, t", PLAIN, ids=[f"{text} at {t}" for text, t in PLAIN])
def test_unsafe_finds_a_part_where_plain_python_cannot_follow_numpy_and_only_there(text, t):
    e = parse(text, ("t",))
    found = e.unsafe(t=np.array([t]))
    python = plain_python(text, t)
    if found is None:  # Python computes what numpy does
        assert python is not None and python == pytest.approx(e.scalar(t=t), rel=1e-12)
    else:  # Python raises, or gives another value (nan never equals nan)
        part, i, value = found
        assert python is None or python != e.scalar(t=t)
        assert i == 0 and not math.isfinite(value) and part in ast.unparse(e.tree)


def test_unsafe_names_the_innermost_part_and_the_first_point():
    e = parse("min(1, 10 / (t - 3))", ("t",))
    assert e.unsafe(t=np.arange(10.0)) == ("10 / (t - 3)", 3, math.inf)
    assert parse("min(1, 10 ** 10 ** 10)", ("t",)).unsafe(t=T)[0] == "10 ** 10 ** 10"
    assert parse("0.5 if t < 4 else 1 / (t - 2)", ("t",)).unsafe(t=np.arange(10.0)) is None  # t = 2 never reaches it
    assert parse("0.5 if t < 2 else 1 / (t - 2)", ("t",)).unsafe(t=np.arange(10.0)) == ("1 / (t - 2)", 2, math.inf)

