"""Telegram transport, durable pipeline, scheduler and command line: the composition root."""
