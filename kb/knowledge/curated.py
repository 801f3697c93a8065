"""The curated lists shipped in `kb/data/*.toml`, loaded into typed values.

These files are written by hand from the AIDXL model card (see docs/catalog.md for the format).
Prompt assembly reads the quality ladder, its default weight and the negative prompt from here;
`aidxl ingest` turns every entry into a verified trigger. A malformed file raises
`CuratedDataError` naming the file and the entry, never a traceback.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.errors import CuratedDataError
from kb.knowledge.tagforms import to_canonical
from kb.schema import TriggerKind

CURATED_DIR = Path(__file__).resolve().parent.parent / "data"

# File name -> the trigger kind of every entry in it. Order is the order ingest writes them.
TRIGGER_FILES: dict[str, TriggerKind] = {
    "painting_styles.toml": TriggerKind.PAINTING_STYLE,
    "quality.toml": TriggerKind.QUALITY,
    "aesthetic.toml": TriggerKind.AESTHETIC,
    "artist_styles.toml": TriggerKind.ARTIST_STYLE,
}
NEGATIVE_FILE = "negative.toml"
# Other models' quality words: read by the linter, never catalog triggers (so not in CURATED_FILES).
FOREIGN_QUALITY_FILE = "foreign_quality.toml"
FOREIGN_WORD_KINDS = frozenset({"quality", "score", "aesthetic", "detail", "rating", "source", "year"})
CURATED_FILES: tuple[str, ...] = (*TRIGGER_FILES, NEGATIVE_FILE)

_TRIGGER_KEYS = frozenset({"text", "source", "description", "danbooru", "rank"})
_TOP_KEYS: dict[str, frozenset[str]] = {
    "quality.toml": frozenset({"trigger", "default_weight"}),
}


@dataclass(frozen=True)
class CuratedTrigger:
    """One hand-written trigger, e.g. `by ask` (artist_style) linked to `ask_(askzy)`."""

    text: str  # what the user types, unescaped: "by yoneyama mai", "flat color"
    kind: TriggerKind
    source_note: str  # where the entry comes from (model card section, author's file)
    description: str | None  # what the trigger does in AIDXL (painting styles)
    danbooru_tag: str | None  # explicit Danbooru tag name when the text does not match one by itself
    rank: int | None  # position in the quality ladder, 1 = best; None elsewhere
    file_name: str  # the kb/data file it was read from


@dataclass(frozen=True)
class QualityLadder:
    """AIDXL's trained quality tags, best first, and the weight prompt assembly gives them."""

    triggers: tuple[CuratedTrigger, ...]
    default_weight: float

    @property
    def texts(self) -> tuple[str, ...]:
        return tuple(trigger.text for trigger in self.triggers)


@dataclass(frozen=True)
class NegativePrompt:
    """The model page's recommended negative prompt, in A1111 syntax."""

    text: str
    source_note: str


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as error:
        raise CuratedDataError(f"{path}: curated file is missing") from error
    except tomllib.TOMLDecodeError as error:
        raise CuratedDataError(f"{path}: not valid TOML: {error}") from error
    except UnicodeDecodeError as error:
        raise CuratedDataError(f"{path}: not UTF-8: {error}") from error


def _optional_str(path: Path, where: str, entry: dict[str, Any], key: str) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise CuratedDataError(f"{path}: {where}: `{key}` must be a non-empty string")
    return value


def _required_str(path: Path, where: str, entry: dict[str, Any], key: str) -> str:
    value = _optional_str(path, where, entry, key)
    if value is None:
        raise CuratedDataError(f"{path}: {where}: `{key}` is missing")
    return value


def load_trigger_file(path: Path, kind: TriggerKind) -> tuple[CuratedTrigger, ...]:
    """Read one `[[trigger]]` file; unknown keys, duplicates and bad values are errors."""
    document = _read_toml(path)
    allowed_top = _TOP_KEYS.get(path.name, frozenset({"trigger"}))
    unknown_top = sorted(set(document) - allowed_top)
    if unknown_top:
        raise CuratedDataError(f"{path}: unknown top-level key(s): {', '.join(unknown_top)}")
    entries = document.get("trigger")
    if not isinstance(entries, list) or not entries:
        raise CuratedDataError(f"{path}: expected one or more [[trigger]] tables")
    triggers: list[CuratedTrigger] = []
    seen: set[str] = set()
    for position, entry in enumerate(entries, start=1):
        where = f"[[trigger]] #{position}"
        if not isinstance(entry, dict):
            raise CuratedDataError(f"{path}: {where}: not a table")
        unknown = sorted(set(entry) - _TRIGGER_KEYS)
        if unknown:
            raise CuratedDataError(f"{path}: {where}: unknown key(s): {', '.join(unknown)}")
        text = _required_str(path, where, entry, "text")
        if text != text.strip() or ("_" in text and kind is not TriggerKind.ARTIST_STYLE):
            raise CuratedDataError(
                f"{path}: {where}: text {text!r} must be the prompt form (no outer spaces, no underscores)"
            )
        if text in seen:
            raise CuratedDataError(f"{path}: {where}: duplicate text {text!r}")
        seen.add(text)
        rank = entry.get("rank")
        if rank is not None and (not isinstance(rank, int) or isinstance(rank, bool) or rank < 1):
            raise CuratedDataError(f"{path}: {where}: `rank` must be a positive integer")
        triggers.append(
            CuratedTrigger(
                text=text,
                kind=kind,
                source_note=_required_str(path, where, entry, "source"),
                description=_optional_str(path, where, entry, "description"),
                danbooru_tag=_optional_str(path, where, entry, "danbooru"),
                rank=rank,
                file_name=path.name,
            )
        )
    return tuple(triggers)


def load_painting_styles(data_dir: Path = CURATED_DIR) -> tuple[CuratedTrigger, ...]:
    return load_trigger_file(data_dir / "painting_styles.toml", TriggerKind.PAINTING_STYLE)


def load_aesthetics(data_dir: Path = CURATED_DIR) -> tuple[CuratedTrigger, ...]:
    return load_trigger_file(data_dir / "aesthetic.toml", TriggerKind.AESTHETIC)


def load_artist_styles(data_dir: Path = CURATED_DIR) -> tuple[CuratedTrigger, ...]:
    triggers = load_trigger_file(data_dir / "artist_styles.toml", TriggerKind.ARTIST_STYLE)
    for trigger in triggers:
        if not trigger.text.startswith("by ") or len(trigger.text) <= 3:
            raise CuratedDataError(
                f"{data_dir / 'artist_styles.toml'}: trigger {trigger.text!r} must read `by <artist>`"
            )
    return triggers


def load_quality_ladder(data_dir: Path = CURATED_DIR) -> QualityLadder:
    """The ladder sorted best first; ranks must be 1..N without gaps."""
    path = data_dir / "quality.toml"
    triggers = load_trigger_file(path, TriggerKind.QUALITY)
    ranks = [trigger.rank for trigger in triggers]
    if sorted(rank or 0 for rank in ranks) != list(range(1, len(triggers) + 1)):
        raise CuratedDataError(f"{path}: ranks must be 1..{len(triggers)}, each once; found {ranks}")
    weight = _read_toml(path).get("default_weight")
    if not isinstance(weight, int | float) or isinstance(weight, bool) or not 0 < weight <= 2:
        raise CuratedDataError(f"{path}: `default_weight` must be a number in (0, 2]")
    ordered = tuple(sorted(triggers, key=lambda trigger: trigger.rank or 0))
    return QualityLadder(triggers=ordered, default_weight=float(weight))


def load_negative_prompt(data_dir: Path = CURATED_DIR) -> NegativePrompt:
    path = data_dir / NEGATIVE_FILE
    document = _read_toml(path)
    unknown = sorted(set(document) - {"text", "source"})
    if unknown:
        raise CuratedDataError(f"{path}: unknown key(s): {', '.join(unknown)}")
    where = "top level"
    return NegativePrompt(
        text=_required_str(path, where, document, "text"),
        source_note=_required_str(path, where, document, "source"),
    )


@dataclass(frozen=True)
class ForeignQualityWord:
    """A quality/score/aesthetic/rating/source/year word of another model (`score_9`, `masterpiece`)."""

    text: str  # as that model's users write it
    kind: str  # FOREIGN_WORD_KINDS
    nearest: str | None  # the closest AIDXL quality rung or aesthetic trigger; None: remove the word
    models: str  # who uses it: "Pony Diffusion V6 XL"
    source_note: str

    @property
    def key(self) -> str:
        """Lookup key, as `kb.knowledge.tagforms.to_canonical` writes any tag: `score_9`, `very_aesthetic`."""
        return to_canonical(self.text)


def load_foreign_quality_words(data_dir: Path = CURATED_DIR) -> tuple[ForeignQualityWord, ...]:
    """Read `foreign_quality.toml`. A `nearest` that is no AIDXL rung or aesthetic trigger, a word
    that is one of AIDXL's own triggers, duplicates and unknown keys are errors naming the entry."""
    path = data_dir / FOREIGN_QUALITY_FILE
    document = _read_toml(path)
    if set(document) != {"word"} or not isinstance(document["word"], list) or not document["word"]:
        raise CuratedDataError(f"{path}: expected only [[word]] tables")
    own_rungs = set(load_quality_ladder(data_dir).texts)
    own_aesthetics = {trigger.text for trigger in load_aesthetics(data_dir)}
    own_keys = {to_canonical(text) for text in own_rungs | own_aesthetics}
    own_keys |= {to_canonical(trigger.text) for trigger in load_painting_styles(data_dir)}
    words: list[ForeignQualityWord] = []
    seen: set[str] = set()
    for position, entry in enumerate(document["word"], start=1):
        where = f"[[word]] #{position}"
        if not isinstance(entry, dict):
            raise CuratedDataError(f"{path}: {where}: not a table")
        unknown = sorted(set(entry) - {"text", "kind", "nearest", "models", "source"})
        if unknown:
            raise CuratedDataError(f"{path}: {where}: unknown key(s): {', '.join(unknown)}")
        word = ForeignQualityWord(
            text=_required_str(path, where, entry, "text"),
            kind=_required_str(path, where, entry, "kind"),
            nearest=_optional_str(path, where, entry, "nearest"),
            models=_required_str(path, where, entry, "models"),
            source_note=_required_str(path, where, entry, "source"),
        )
        if word.kind not in FOREIGN_WORD_KINDS:
            raise CuratedDataError(
                f"{path}: {where}: kind {word.kind!r}; known: {', '.join(sorted(FOREIGN_WORD_KINDS))}"
            )
        if word.nearest is not None and word.nearest not in own_rungs | own_aesthetics:
            raise CuratedDataError(
                f"{path}: {where}: nearest {word.nearest!r} is no AIDXL quality rung or aesthetic trigger"
            )
        if word.key in own_keys:
            raise CuratedDataError(f"{path}: {where}: {word.text!r} is one of AIDXL's own triggers")
        if word.key in seen:
            raise CuratedDataError(f"{path}: {where}: duplicate word {word.text!r}")
        seen.add(word.key)
        words.append(word)
    return tuple(words)


def load_curated_triggers(data_dir: Path = CURATED_DIR) -> tuple[CuratedTrigger, ...]:
    """Every curated trigger, in the order of TRIGGER_FILES (painting, quality, aesthetic, artist)."""
    return (
        *load_painting_styles(data_dir),
        *load_quality_ladder(data_dir).triggers,
        *load_aesthetics(data_dir),
        *load_artist_styles(data_dir),
    )


def curated_fingerprint(data_dir: Path = CURATED_DIR) -> str:
    """sha256 over the curated files' names and bytes: a changed list means a rebuild."""
    digest = hashlib.sha256()
    for file_name in CURATED_FILES:
        path = data_dir / file_name
        digest.update(file_name.encode())
        digest.update(b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError as error:
            raise CuratedDataError(f"{path}: cannot read curated file: {error.strerror}") from error
        digest.update(b"\0")
    return digest.hexdigest()
