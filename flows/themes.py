"""Theme buttons: the life domains of the method (storage.themes) offered for tagging."""

from __future__ import annotations

from flows.engine import Button, Choice
from storage.themes import THEMES

__all__ = ["THEMES", "theme_buttons", "theme_choice", "theme_rows"]


def theme_buttons(prefix: str, per_row: int = 3) -> tuple[tuple[Button, ...], ...]:
    """Return the themes as rows of buttons whose values are prefix + theme."""
    buttons = [Button(f"theme.{theme}", f"{prefix}{theme}") for theme in THEMES]
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))


def theme_choice(prefix: str, skip: str | None = None) -> Choice:
    """Return the themes as a question's choice; `skip`, when given, is a value for none."""
    labels = {theme: f"theme.{theme}" for theme in THEMES}
    if skip is not None:
        labels[skip] = "button.skip"
    shown = f"THEME, {skip}" if skip is not None else "THEME"
    return Choice(prefix, tuple(labels), label=labels, shown=shown)


def theme_rows(choice: Choice, per_row: int = 3) -> tuple[tuple[Button, ...], ...]:
    """Return a theme choice's buttons: the themes per_row to a row, then its skip alone."""
    assert isinstance(choice.values, tuple), "a theme choice has fixed values"
    skip = [value for value in choice.values if value not in THEMES]
    return (*choice.rows(per_row, THEMES), *choice.rows(1, skip))
