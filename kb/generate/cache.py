"""The preview cache: content-addressed PNGs under `kb.paths.cache_dir()/previews`, no torch needed.

An entry is three files named by the key's digest: `<digest>.png` (with the `parameters`
chunk), `<digest>.thumb.png` and `<digest>.json` (the sidecar, which records the SHA-256 of the
other two). Every file is written to a temporary name and renamed into place; the sidecar is
renamed LAST, so an entry exists only when it is complete. A lookup re-hashes the PNG and the
thumbnail: a corrupt or truncated entry is deleted and reported as a miss, so it is regenerated
and never shown. Temporary files of a killed writer are removed by the next writer.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# The project's one atomic writer lives in kb.outpath; re-exported for code that imports it from here.
from kb.outpath import TEMP_SUFFIX, temp_writer_pid
from kb.outpath import atomic_write_bytes as atomic_write_bytes
from kb.paths import cache_dir

PREVIEWS_FOLDER = "previews"
CACHE_FORMAT_VERSION = 1
# A random-weight image's sidecar says its pixels carry the RANDOM WEIGHTS label; an older entry
# without it is a miss (made again, labelled), so no unlabelled random-weight image is shown.
RANDOM_WEIGHTS_STAMP_KEY = "random_weights_stamped"


@dataclass(frozen=True)
class PreviewKey:
    """Everything that changes a preview's pixels."""

    model_hash: str
    vae_hash: str
    positive: str
    negative: str
    sampler: str
    steps: int
    cfg_scale: float
    width: int
    height: int
    seed: int
    emphasis: str
    weighting_version: str
    pad_conds: bool = False
    networks: tuple[tuple[str, float, float], ...] = ()  # (LoRA file SHA-256, te, unet) per network

    def digest(self) -> str:
        canonical = json.dumps(asdict(self), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CachedPreview:
    """A complete, verified cache entry."""

    digest: str
    png_path: Path
    thumbnail_path: Path
    sidecar_path: Path
    parameters: str
    triggers: tuple[str, ...]
    random_weights: bool


def previews_dir() -> Path:
    return cache_dir() / PREVIEWS_FOLDER


def entry_paths(digest: str) -> tuple[Path, Path, Path]:
    """(PNG, thumbnail, sidecar) paths of the entry `digest`."""
    folder = previews_dir() / digest[:2]
    return folder / f"{digest}.png", folder / f"{digest}.thumb.png", folder / f"{digest}.json"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def lookup(digest: str) -> CachedPreview | None:
    """The verified entry `digest`, or None (a damaged entry is deleted first)."""
    png_path, thumbnail_path, sidecar_path = entry_paths(digest)
    if not sidecar_path.is_file():
        return None
    preview = _verified_entry(digest, png_path, thumbnail_path, sidecar_path)
    if preview is None:
        discard(digest)
    return preview


def _verified_entry(
    digest: str, png_path: Path, thumbnail_path: Path, sidecar_path: Path
) -> CachedPreview | None:
    try:
        record = json.loads(sidecar_path.read_text(encoding="utf-8"))
        png_ok = sha256_hex(png_path.read_bytes()) == record["png_sha256"]
        thumbnail_ok = sha256_hex(thumbnail_path.read_bytes()) == record["thumbnail_sha256"]
        if not (png_ok and thumbnail_ok and record["cache_key"] == digest):
            return None
        if record.get("random_weights", False) and not record.get(RANDOM_WEIGHTS_STAMP_KEY, False):
            return None
        return CachedPreview(
            digest=digest,
            png_path=png_path,
            thumbnail_path=thumbnail_path,
            sidecar_path=sidecar_path,
            parameters=str(record["parameters"]),
            triggers=tuple(str(trigger) for trigger in record.get("triggers", [])),
            random_weights=bool(record.get("random_weights", False)),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def random_weights_of(image_path: Path) -> bool:
    """Whether a cached preview's PNG or thumbnail (`<digest>.png`, `<digest>.thumb.png`) was made
    by a random-weight model, as its sidecar records; False for any other file."""
    sidecar_path = image_path.with_name(image_path.name.split(".", 1)[0] + ".json")
    try:
        record = json.loads(sidecar_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and bool(record.get("random_weights", False))


def discard(digest: str) -> None:
    """Delete an entry's files, sidecar first so the entry stops existing before its parts go."""
    png_path, thumbnail_path, sidecar_path = entry_paths(digest)
    for path in (sidecar_path, png_path, thumbnail_path):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def store(
    digest: str, png_data: bytes, thumbnail_data: bytes, sidecar_record: dict[str, Any]
) -> CachedPreview:
    """Write an entry atomically: PNG and thumbnail first, the sidecar that vouches for them last."""
    png_path, thumbnail_path, sidecar_path = entry_paths(digest)
    png_path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(png_path.parent)
    record = {
        **sidecar_record,
        "cache_format": CACHE_FORMAT_VERSION,
        "cache_key": digest,
        "png": png_path.name,
        "png_sha256": sha256_hex(png_data),
        "thumbnail": thumbnail_path.name,
        "thumbnail_sha256": sha256_hex(thumbnail_data),
    }
    atomic_write_bytes(png_path, png_data)
    atomic_write_bytes(thumbnail_path, thumbnail_data)
    sidecar_text = json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    atomic_write_bytes(sidecar_path, sidecar_text.encode("utf-8"))
    preview = lookup(digest)
    if preview is None:
        raise OSError(f"{sidecar_path}: the preview just written could not be read back")
    return preview


def find_previews(trigger: str) -> list[CachedPreview]:
    """Every verified preview of `trigger` (for the TUI and sheets), newest first."""
    root = previews_dir()
    if not root.is_dir():
        return []
    found: list[tuple[float, CachedPreview]] = []
    for sidecar_path in root.glob("??/*.json"):
        try:
            triggers = json.loads(sidecar_path.read_text(encoding="utf-8")).get("triggers", [])
        except (OSError, ValueError, AttributeError):
            continue
        if trigger in triggers:
            preview = lookup(sidecar_path.stem)
            if preview is not None:
                found.append((sidecar_path.stat().st_mtime, preview))
    return [preview for _, preview in sorted(found, key=lambda pair: pair[0], reverse=True)]


def newest_preview_thumbnails() -> dict[str, Path]:
    """Each trigger's newest verified preview thumbnail (`find_previews(trigger)[0]` for every
    trigger at once): one pass over the sidecars, for a list that shows many triggers."""
    root = previews_dir()
    if not root.is_dir():
        return {}
    newest: dict[str, tuple[float, Path]] = {}
    for sidecar_path in root.glob("??/*.json"):
        try:
            triggers = json.loads(sidecar_path.read_text(encoding="utf-8")).get("triggers", [])
            modified = sidecar_path.stat().st_mtime
        except (OSError, ValueError, AttributeError):
            continue
        if not isinstance(triggers, list):
            continue
        wanted = [trigger for trigger in triggers if isinstance(trigger, str)]
        wanted = [trigger for trigger in wanted if trigger not in newest or newest[trigger][0] < modified]
        preview = lookup(sidecar_path.stem) if wanted else None
        if preview is not None:
            for trigger in wanted:
                newest[trigger] = (modified, Path(preview.thumbnail_path))
    return {trigger: path for trigger, (_, path) in newest.items()}


def previews_signature() -> tuple[tuple[str, int], ...]:
    """The previews folder's state as its folders' modification times: a preview added or removed
    changes its `??` folder's (a new folder, the root's), so an unchanged signature means that
    `newest_preview_thumbnails` would answer as before. A few hundred stats, no file read."""
    root = previews_dir()
    try:
        folders = [root, *(entry for entry in root.iterdir() if entry.is_dir())]
        return tuple((folder.name, folder.stat().st_mtime_ns) for folder in folders)
    except OSError:
        return ()


def remove_stale_temp_files(folder: Path) -> None:
    """Remove temporary files left by writers that are no longer running (killed mid-write)."""
    for temp_path in folder.glob(f".*{TEMP_SUFFIX}"):
        writer_pid = temp_writer_pid(temp_path.name)
        if writer_pid is not None and not _process_alive(writer_pid):
            with contextlib.suppress(FileNotFoundError):
                temp_path.unlink()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
