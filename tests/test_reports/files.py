"""Make the file jobs a step or sweep recorded, as the bot's file worker does."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from bot.dispatch.i18n import load_translator
from bot.dispatch.render import Renderer
from bot.runtime.filejobs import FileWorker
from flows.engine import FlowConfig, Messages


def make_waiting_files(
    factory: sessionmaker[Session], config: FlowConfig, now: datetime
) -> Messages:
    """Make every file job due at `now` with the real worker; return the messages it queued."""
    worker = FileWorker(
        factory, Renderer(load_translator()), config, Path(config.media_dir), clock=lambda: now
    )
    messages: Messages = []
    while (job := worker.take()) is not None:
        made = worker.make(job)
        worker.deliver(job, made)
        messages.extend(made.messages)
    return messages
