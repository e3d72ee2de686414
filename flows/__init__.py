"""Conversation flows as declared state tables; pure, no Telegram."""
