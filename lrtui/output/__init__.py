"""What a user reads or pastes, shared by the CLI and the app: tables, plots, pages, exports, sweep
views and code snippets."""
