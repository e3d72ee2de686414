"""Pseudonyms: a stable, keyed stand-in for a member in exports, digests and logs."""

from __future__ import annotations

import base64
import hashlib
import hmac


def pseudonym(secret_key: str, member_id: int) -> str:
    """Return the member's pseudonym: stable per deployment, meaningless without the key."""
    digest = hmac.new(secret_key.encode(), f"member:{member_id}".encode(), hashlib.sha256).digest()
    return "P-" + base64.b32encode(digest)[:8].decode()
