"""Intake: updates in from Telegram (long polling or webhook), read into the flows' inputs."""
