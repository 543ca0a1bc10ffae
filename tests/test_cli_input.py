"""Bad command-line input: every case of issue 9 ends with one line on stderr and exit 2, never a
traceback, a hang or a silent substitute."""
import pytest


def refused(cli, *argv: str) -> str:
    """The one line `lrtui ARGV` prints when it refuses its input with exit 2."""
    code, out, err = cli(*argv)
    assert code == 2, (code, out, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("lr", ["0", "0.0", "-0", "-0.1"])
@pytest.mark.parametrize("target", ["StepLR", "seed-four"])
def test_an_lr_of_zero_or_less_is_refused_not_replaced(cli, target, lr):
    err = refused(cli, "preview", target, "--set", "step_size=3", "--lr", lr) if target == "StepLR" \
        else refused(cli, "preview", target, "--lr", lr)
    assert "lr" in err and "> 0" in err


def test_a_given_lr_is_the_lr_of_the_preview(cli):
    code, out, _ = cli("preview", "StepLR", "--set", "step_size=3", "--lr", "0.25", "--epochs", "2", "--format", "csv")
    assert code == 0 and out.splitlines()[1].split(",")[3] == "0.25"
