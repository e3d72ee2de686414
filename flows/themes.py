"""Theme buttons: the life domains of the method (storage.themes) offered for tagging."""

from __future__ import annotations

from flows.engine import Button
from storage.themes import THEMES

__all__ = ["THEMES", "theme_buttons"]


def theme_buttons(prefix: str, per_row: int = 3) -> tuple[tuple[Button, ...], ...]:
    """Return the themes as rows of buttons whose values are prefix + theme."""
    buttons = [Button(f"theme.{theme}", f"{prefix}{theme}") for theme in THEMES]
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))
