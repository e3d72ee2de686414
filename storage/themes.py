"""The life domains of the method, stored as an observation's theme, in a fixed order.

Flows offer them as buttons and reports count by them; both read this one list.
"""

from __future__ import annotations

THEMES = (
    "welfare",
    "health",
    "housing",
    "food",
    "shops",
    "work",
    "education",
    "youth",
    "sport",
    "culture",
    "religion",
    "mobility",
    "green",
    "safety",
    "other",
)
