"""Runtime: the composition root, workers and leaders, scheduled sweeps, settings and the CLI."""
