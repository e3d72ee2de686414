"""Local Telegram Bot API server for tests, `buurtbot chat` and `buurtbot demo`."""

from .actors import SandboxError, SandboxGroup, SandboxUser
from .server import ApiError, SandboxServer
from .spec import ApiSpec, SpecError, load_spec

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
