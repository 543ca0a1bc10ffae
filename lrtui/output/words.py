"""The verdict in words: one sentence for the command line, the JSON's text and the app's notes,
and a few words for the app's status line. The judge gives structure (lrtui.judge.verdict), this
module alone words it."""
from __future__ import annotations

from lrtui.judge.verdict import MIN_PAIRS, Comparison, Verdict


def verdict(v: Verdict) -> str:
    """What the data supports, how sure, and what would make it surer."""
    if v.kind == "best":
        return (f"{v.best} is best: better than every other by at least {v.margin:.4g} on every comparison "
                f"(p <= {v.alpha:.4g} after Holm)")
    if v.kind == "tied":
        names, closest = v.tied, v.closest
        who = f"{names[0]} and {names[1]}" if len(names) == 2 else f"{', '.join(names[:-1])} and {names[-1]}"
        pair = "" if len(names) == 2 else f"{closest.best} vs {closest.other}: "
        why = (f"the whole interval is under the {v.threshold:.4g} that would matter" if v.settled else
               f"more seeds would tell (about {v.seeds_needed})" if v.seeds_needed else "more seeds would not change it")
        return (f"{who} are tied for best ({pair}difference {closest.diff:.4g}, interval [{closest.low:.4g}, "
                f"{closest.high:.4g}]): {why}")
    if v.groups < 2:
        return f"{'no schedules' if not v.groups else 'one schedule'}: nothing to compare"
    return f"not enough seeds yet: {v.pairs} complete pair{'s' * (v.pairs != 1)}, {MIN_PAIRS} needed"


def short(v: Verdict) -> str:
    """The verdict in a few words, for a status line (the sentence says how sure)."""
    if v.kind == "best":
        return f"{v.best} is best"
    if v.kind == "tied":
        return f"tied: {', '.join(v.tied)}" + (f" (about {v.seeds_needed} seeds would tell)" if v.seeds_needed else "")
    return verdict(v)


def comparison_json(comparison: Comparison) -> dict:
    """A comparison as `--json` prints it: its structure, and the verdict's sentence as `text`."""
    doc = comparison.to_json()
    doc["verdict"]["text"] = verdict(comparison.verdict)
    return doc
