"""What the Pilot tests share."""


async def until(pilot, condition, seconds=30):
    """Let the app run until `condition()` holds; fail after `seconds`."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("timed out waiting")
