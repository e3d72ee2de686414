"""Telegram transport, durable pipeline, scheduler and command line: the composition root."""

import os

# Opt in to PTB's future behaviour (durations as timedelta) instead of deprecation warnings.
os.environ.setdefault("PTB_TIMEDELTA", "1")
