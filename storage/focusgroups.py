"""What a stored focus group's details hold: the kinds of people counted and the channels.

The flow (flows/focusgroup.py) writes them, the weekly picture and the export read them; one
source, so a new kind of person or channel is added here once.
"""

from __future__ import annotations

# Who came, counted per kind of person, in the order they are asked: each is a details key of
# its own holding a number (details["residents"] == 8), so an export has a column per kind.
ATTENDANCE = ("residents", "users", "partners", "others")
# How the group came together (details["channel"]); a typed answer is "other" (channel_text).
CHANNELS = ("activity", "partner", "event")
OTHER_CHANNEL = "other"
