"""lrtui: pick, preview, train and compare PyTorch learning-rate schedules in the terminal."""
