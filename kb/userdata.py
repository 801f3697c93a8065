"""User data: history, favourites, saved prompts and named style blends.

One store for the explorer and the command line (`aidxl export styles`, `aidxl import styles`).
Everything lives in one JSON file under `kb.paths.state_dir()` (never inside the catalog file,
which `aidxl ingest` replaces). Writes go to a temporary file that is renamed over the old one,
so a crash never leaves half a file. A file this version cannot read raises `UserDataError`
naming the file and the reason; the explorer then starts with empty data and leaves the file alone.

Two writers at once (an open explorer and `aidxl import styles`) must not lose each other's work:
`save()` notices when the file changed since it was read and keeps the blends, saved prompts and
favourites the other writer added (its own entries win where both have a name).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.errors import AidxlError
from kb.outpath import atomic_write_bytes
from kb.paths import state_dir

USER_DATA_FILE_NAME = "explorer.json"
USER_DATA_VERSION = 1
HISTORY_LIMIT = 200


class UserDataError(AidxlError):
    """The explorer's user data file is unreadable."""


@dataclass(frozen=True)
class HistoryEntry:
    """A prompt the user copied or exported."""

    positive: str
    negative: str
    action: str  # copy-positive | copy-negative | copy-both | export
    at: float  # seconds since the epoch


@dataclass(frozen=True)
class BlendStyle:
    """One style of a named blend: the trigger text (unescaped) and its weight."""

    text: str
    weight: float


@dataclass
class UserData:
    """In-memory user data; `save()` writes it back atomically."""

    path: Path
    history: list[HistoryEntry] = field(default_factory=list)
    favourites: list[str] = field(default_factory=list)
    saved_prompts: dict[str, dict[str, Any]] = field(default_factory=dict)
    blends: dict[str, list[BlendStyle]] = field(default_factory=dict)
    # What the file held when it was read: (mtime_ns, size), and the names it had, so `save()` can
    # tell what another writer added since.
    loaded_signature: tuple[int, int] | None = field(default=None, repr=False, compare=False)
    loaded_names: frozenset[tuple[str, str]] = field(default=frozenset(), repr=False, compare=False)

    def record_history(self, positive: str, negative: str, action: str) -> None:
        self.history.append(HistoryEntry(positive, negative, action, time.time()))
        del self.history[:-HISTORY_LIMIT]

    def toggle_favourite(self, prompt_text: str) -> bool:
        """Add or remove a favourite; True when it is a favourite afterwards."""
        if prompt_text in self.favourites:
            self.favourites.remove(prompt_text)
            return False
        self.favourites.append(prompt_text)
        return True

    def save_blend(self, name: str, styles: list[BlendStyle]) -> None:
        if not name.strip():
            raise UserDataError("a blend needs a name")
        if not styles:
            raise UserDataError(f"blend {name!r} has no styles")
        self.blends[name.strip()] = list(styles)

    def save_prompt(self, name: str, builder_state: dict[str, Any]) -> None:
        if not name.strip():
            raise UserDataError("a saved prompt needs a name")
        self.saved_prompts[name.strip()] = builder_state

    def to_json(self) -> dict[str, Any]:
        return {
            "version": USER_DATA_VERSION,
            "history": [entry.__dict__ for entry in self.history],
            "favourites": self.favourites,
            "saved_prompts": self.saved_prompts,
            "blends": {
                name: [[style.text, style.weight] for style in styles] for name, styles in self.blends.items()
            },
        }

    def save(self) -> None:
        """Write the file atomically (temporary file beside it, then rename), first taking in what
        another writer added to it since it was read."""
        self._adopt_external_additions()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.to_json(), ensure_ascii=False, indent=1)
        atomic_write_bytes(self.path, text.encode("utf-8"), what="user data file")
        self.loaded_signature = _signature(self.path)
        self.loaded_names = _names_of(self)

    def refresh(self) -> None:
        """Take in what another writer (`aidxl import styles`) added to the file since it was read,
        without writing: the explorer calls it before it lists blends or saved prompts."""
        self._adopt_external_additions()

    def _adopt_external_additions(self) -> None:
        signature = _signature(self.path)
        if signature is None or signature == self.loaded_signature:
            return
        try:
            on_disk = load_user_data(self.path)
        except UserDataError:
            return  # unreadable now: this writer's data replaces it, as before
        for name, styles in on_disk.blends.items():
            if name not in self.blends and ("blend", name) not in self.loaded_names:
                self.blends[name] = styles
        for name, state in on_disk.saved_prompts.items():
            if name not in self.saved_prompts and ("prompt", name) not in self.loaded_names:
                self.saved_prompts[name] = state
        for favourite in on_disk.favourites:
            if favourite not in self.favourites and ("favourite", favourite) not in self.loaded_names:
                self.favourites.append(favourite)
        self.loaded_signature = on_disk.loaded_signature
        self.loaded_names = self.loaded_names | on_disk.loaded_names


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_mtime_ns, status.st_size)


def _names_of(data: UserData) -> frozenset[tuple[str, str]]:
    return frozenset(
        [("blend", name) for name in data.blends]
        + [("prompt", name) for name in data.saved_prompts]
        + [("favourite", favourite) for favourite in data.favourites]
    )


def default_user_data_path() -> Path:
    return state_dir() / USER_DATA_FILE_NAME


def load_user_data(path: Path | None = None) -> UserData:
    """Read the user data file; a missing file gives empty data."""
    data_path = path if path is not None else default_user_data_path()
    signature = _signature(data_path)
    try:
        raw_text = data_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return UserData(data_path)
    except (OSError, UnicodeDecodeError) as error:
        raise UserDataError(f"{data_path}: cannot read user data: {error}") from error
    try:
        document = json.loads(raw_text)
    except json.JSONDecodeError as error:
        raise UserDataError(f"{data_path}:{error.lineno}: not valid JSON: {error.msg}") from error
    data = _from_json(data_path, document)
    data.loaded_signature = signature
    data.loaded_names = _names_of(data)
    return data


def _from_json(data_path: Path, document: Any) -> UserData:
    if not isinstance(document, dict) or document.get("version") != USER_DATA_VERSION:
        found = document.get("version") if isinstance(document, dict) else None
        raise UserDataError(f"{data_path}: user data version {found!r}, expected {USER_DATA_VERSION}")
    try:
        history = [
            HistoryEntry(str(item["positive"]), str(item["negative"]), str(item["action"]), float(item["at"]))
            for item in document.get("history", [])
        ]
        favourites = [str(text) for text in document.get("favourites", [])]
        saved_prompts = {str(name): dict(state) for name, state in document.get("saved_prompts", {}).items()}
        blends = {
            str(name): [BlendStyle(str(text), float(weight)) for text, weight in styles]
            for name, styles in document.get("blends", {}).items()
        }
    except (KeyError, TypeError, ValueError) as error:
        raise UserDataError(f"{data_path}: malformed user data: {error!r}") from error
    return UserData(data_path, history, favourites, saved_prompts, blends)
