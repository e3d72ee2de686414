"""The week's media for the page: photo thumbnails and voice notes as data URIs.

This is the one part of the picture that reads files (from the media folder, never outside
it). Thumbnails are re-encoded small JPEGs, turned upright with Pillow's
`ImageOps.exif_transpose`; re-encoding drops every EXIF field, GPS position included. Voice
notes are embedded as they are, but only when all of the week's voice notes together fit the
page's budget (`VOICE_BUDGET_BYTES`); otherwise the page gives their length and points to the
export's media zip.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from reports.model import Media, VoiceNote
from storage.media import UNFETCHED
from storage.weekly import MediaRow

THUMBNAIL_PX = 240
MAX_PHOTOS_PER_ENTRY = 4
# At most this many thumbnails are made for one picture (a week of 10,000 notes with photos
# would otherwise weigh hundreds of megabytes); the rest say the photo is in the media zip.
MAX_THUMBNAILS = 60
VOICE_BUDGET_BYTES = 5 * 1024 * 1024
AUDIO_KINDS = ("voice", "audio")
AUDIO_TYPES = {".ogg": "audio/ogg", ".oga": "audio/ogg", ".mp3": "audio/mpeg", ".m4a": "audio/mp4"}


@dataclass(frozen=True)
class Thumb:
    """A photo ready for the page: a data URI (empty when none could be made)."""

    data_uri: str
    width: int
    height: int
    unfetched: bool = False
    skipped: bool = False


@dataclass(frozen=True)
class EntryMedia:
    """The media of one observation: thumbnails, voice notes and how many videos."""

    photos: tuple[Thumb, ...] = ()
    voices: tuple[VoiceNote, ...] = ()
    videos: int = 0


def _inside(root: Path | None, relative: str | None) -> Path | None:
    """Return a stored file's path when it lies inside the media folder and exists."""
    if root is None or not relative:
        return None
    path = (root / relative).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path


def thumbnail(path: Path) -> tuple[str, int, int] | None:
    """Return (data URI, width, height) of a small upright JPEG of an image, or None.

    JPEGs are decoded at a reduced scale (draft mode), which makes this several times faster.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.draft("RGB", (THUMBNAIL_PX * 2, THUMBNAIL_PX * 2))
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
            small = upright.convert("RGB")
        buffer = io.BytesIO()
        small.save(buffer, "JPEG", quality=72, optimize=True)
        width, height = small.size
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        return None
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"data:image/jpeg;base64,{encoded}", width, height


def _audio_uri(path: Path, mime_type: str | None) -> str:
    kind = mime_type if mime_type and mime_type.startswith("audio/") else None
    kind = kind or AUDIO_TYPES.get(path.suffix.lower(), "audio/ogg")
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def prepare(
    media: Mapping[int, Sequence[MediaRow]],
    listed: Collection[int],
    media_dir: str | Path | None,
    budget: int | None = None,
) -> tuple[dict[int, EntryMedia], Media]:
    """Return each listed observation's media (by id) and what the week's media add up to.

    Only observations in `listed` are looked at (diary entries never are). Without a media
    folder no file is read: photos and voice notes are then only counted.
    """
    budget = VOICE_BUDGET_BYTES if budget is None else budget
    root = Path(media_dir).resolve() if media_dir is not None else None
    audio: list[tuple[int, MediaRow, Path | None]] = []
    photos: dict[int, list[Thumb]] = {}
    videos: dict[int, int] = {}
    made = 0
    for observation_id in listed:
        for row in media.get(observation_id, ()):
            if row.kind in AUDIO_KINDS:
                audio.append((observation_id, row, _inside(root, row.path)))
            elif row.kind == "video":
                videos[observation_id] = videos.get(observation_id, 0) + 1
            elif row.kind == "photo":
                kept = photos.setdefault(observation_id, [])
                if len(kept) >= MAX_PHOTOS_PER_ENTRY:
                    continue
                if row.status in UNFETCHED:
                    kept.append(Thumb("", 0, 0, unfetched=True))
                    continue
                path = _inside(root, row.path) if row.status == "stored" else None
                if path is None:
                    continue
                if made >= MAX_THUMBNAILS:
                    kept.append(Thumb("", 0, 0, skipped=True))
                    continue
                small = thumbnail(path)
                if small is not None:
                    made += 1
                    kept.append(Thumb(*small))
    sizes = [path.stat().st_size for _, _, path in audio if path is not None]
    total = sum(sizes)
    # Base64 adds a third: the budget is for what the page weighs.
    embed = root is not None and bool(sizes) and total * 4 // 3 <= budget
    voices: dict[int, list[VoiceNote]] = {}
    for observation_id, row, path in audio:
        uri = _audio_uri(path, row.mime_type) if embed and path is not None else ""
        voices.setdefault(observation_id, []).append(
            VoiceNote(
                seconds=row.duration,
                data_uri=uri,
                mime_type=uri[5 : uri.index(";")] if uri else (row.mime_type or "audio/ogg"),
                unfetched=row.status in UNFETCHED,
            )
        )
    result = {
        observation_id: EntryMedia(
            photos=tuple(photos.get(observation_id, ())),
            voices=tuple(voices.get(observation_id, ())),
            videos=videos.get(observation_id, 0),
        )
        for observation_id in {*photos, *voices, *videos}
    }
    summary = Media(
        voice_notes=len(audio),
        voice_bytes=total,
        voices_embedded=embed,
        budget_bytes=budget,
    )
    return result, summary


__all__ = ["MAX_THUMBNAILS", "THUMBNAIL_PX", "VOICE_BUDGET_BYTES", "prepare", "thumbnail"]
