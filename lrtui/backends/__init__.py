"""Who runs the jobs: `local` (threads of this process), `child` (the app's trainer process) and
`ray_tune` (a Ray cluster), each handing the engine's events to a recorder."""
