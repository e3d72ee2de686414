"""Delivery: the outbox sent within Telegram's limits, and media downloaded."""
