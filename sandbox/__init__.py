"""Local Telegram Bot API server for tests, `buurtbot chat` and `buurtbot demo`.

The names below load on first use: `buurtbot run` imports this package for the commands the
sandbox adds (sandbox.commands), and the server with aiohttp would cost the bot 9 MB.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .actors import SandboxError, SandboxGroup, SandboxUser
    from .server import ApiError, SandboxServer
    from .spec import ApiSpec, SpecError, load_spec

_HOMES = {
    "ApiError": "server",
    "ApiSpec": "spec",
    "SandboxError": "actors",
    "SandboxGroup": "actors",
    "SandboxServer": "server",
    "SandboxUser": "actors",
    "SpecError": "spec",
    "load_spec": "spec",
}

__all__ = [
    "ApiError",
    "ApiSpec",
    "SandboxError",
    "SandboxGroup",
    "SandboxServer",
    "SandboxUser",
    "SpecError",
    "load_spec",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module when the name is first asked for."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
