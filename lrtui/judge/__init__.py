"""Rows to figures to a verdict, pure: scores (a run's figures), verdict (paired statistics over
seeds), pruning (a sweep's early stops)."""
