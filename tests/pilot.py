"""What the Pilot tests share."""


async def until(pilot, condition, seconds=30):
    """Let the app run until `condition()` holds; fail after `seconds`."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("timed out waiting")


def field_input(app, section, name):
    return app.query_one(f"#{section}-{name}")


async def set_field(pilot, section, name, text):
    """A form field given `text`, as typing it would."""
    widget = field_input(pilot.app, section, name)
    widget.focus()
    widget.value = text
    await pilot.pause()


def started(run_id: int, label: str, epochs: int, steps_per_epoch: int, notes: tuple[str, ...] = ()):
    """The RunStarted of a training run the training process recorded as `run_id` (its key: "k<id>")."""
    from lrtui.engine.events import RunStarted

    return RunStarted(f"k{run_id}", label, "train", {"scheduler": {"name": "StepLR"}}, None, "spirals", 0, "cpu",
                      "cpu", epochs, steps_per_epoch, notes, run_id)
