"""What to run: presets, sweep spaces, labels, the typed run config, the app's draft, a range test's
settings, and `planning`, which turns presets into the frozen jobs the engine trains."""
