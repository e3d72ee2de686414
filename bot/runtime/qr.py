"""QR codes for invite links: a PNG for posters and for Telegram."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path


def qr_png(data: str) -> bytes:
    """Return a PNG image of a QR code for the data."""
    import qrcode  # with Pillow: only when a code is drawn

    image = qrcode.make(data, box_size=10, border=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def write_qr(data: str, path: Path) -> Path:
    """Write a QR code PNG to a file and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(qr_png(data))
    return path


def qr_file_in(media_dir: Path, data: str) -> str:
    """Write a QR code under the media folder with a generated name; return its relative path."""
    name = hashlib.sha256(data.encode()).hexdigest()[:24]
    relative = Path("outgoing") / f"qr-{name}.png"
    target = media_dir / relative
    if not target.exists():
        write_qr(data, target)
    return relative.as_posix()
