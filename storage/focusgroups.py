"""What a stored focus group's details hold: the kinds of people counted and the channels.

The flow (flows/focusgroup.py) writes them, the weekly picture and the export read them; one
source, so a new kind of person or channel is added here once.
"""

from __future__ import annotations

# Who came, counted per kind of person (details["attendance"]), in the order they are asked.
ATTENDANCE = ("residents", "users", "partners", "other")
# How the group came together (details["channel"]); a typed answer is "other" (channel_text).
CHANNELS = ("own", "partner", "event")
OTHER_CHANNEL = "other"
