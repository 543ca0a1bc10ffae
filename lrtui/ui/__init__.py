"""The Textual app. Only this package imports Textual; it drives the same core as the CLI."""
