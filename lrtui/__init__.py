"""lrtui: pick, preview, train and compare PyTorch learning-rate schedules in the terminal."""

__version__ = "0.1.0"
