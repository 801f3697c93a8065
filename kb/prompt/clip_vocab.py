"""Where the CLIP BPE merge rules come from: found without torch, checked against a pinned digest.

The tokenizer (`kb.prompt.clip_bpe`) needs the first `MERGE_COUNT` merge rules of OpenAI's CLIP
vocabulary (`bpe_simple_vocab_16e6.txt`, MIT). The first provider that is present gives them:

1. `AIDXL_CLIP_VOCAB=PATH`: a `merges.txt`, or the vocabulary as `.txt` or `.txt.gz`. Explicit, so
   a bad path is reported, never skipped.
2. The `instant-clip-tokenizer` package (a dependency on the platforms it has wheels for): its
   compiled module embeds the vocabulary text verbatim. The module file is read as bytes and
   never imported.
3. The `open-clip-torch` package, when it happens to be installed: its `bpe_simple_vocab_16e6.txt.gz`
   (found with `find_spec`, never imported: it imports torch).
4. The Hugging Face Hub: `merges.txt` of `openai/clip-vit-large-patch14` (the tokenizer of SDXL's
   first text encoder) at a pinned revision, through the normal Hugging Face cache. Downloaded once;
   offline mode is honoured; an unreachable Hub fails at once with one line saying how to fix it.

Whatever the provider, the merge rules must hash to `MERGES_SHA256`, so every one gives the same ids.
The rules read are kept in the user cache as a `marshal` file (about 6× faster to load).
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.machinery
import importlib.util
import marshal
import os
import sys
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from kb.errors import ClipVocabularyError

# The reference tokenizer uses the first 49152 - 256 - 2 merge rules after the version header.
MERGE_COUNT = 49152 - 256 - 2
MERGES_HEADER = b"#version: 0.2"
# sha256 of those MERGE_COUNT rules as UTF-8, each followed by "\n" (header excluded). Identical in
# open_clip's bpe_simple_vocab_16e6.txt.gz and in instant-clip-tokenizer 0.1.1's modules for Linux,
# macOS (x86_64, arm64) and Windows (there with CRLF line ends).
MERGES_SHA256 = "d308b7377a8ceaa9707a21614fe8c831b9196e197b7aeb69833359362907af02"

VOCAB_PATH_ENV = "AIDXL_CLIP_VOCAB"
INSTANT_PACKAGE = "instant_clip_tokenizer"
INSTANT_DISTRIBUTION = "instant-clip-tokenizer"
OPEN_CLIP_PACKAGE = "open_clip"
OPEN_CLIP_DISTRIBUTION = "open-clip-torch"
OPEN_CLIP_FILE_NAME = "bpe_simple_vocab_16e6.txt.gz"
HUB_REPO_ID = "openai/clip-vit-large-patch14"
HUB_FILE_NAME = "merges.txt"
HUB_REVISION = "32bd64288804d66eefd0ccbe215aa642df71cc41"
HUB_DOWNLOAD_COMMAND = f"hf download {HUB_REPO_ID} {HUB_FILE_NAME} --revision {HUB_REVISION}"

# Bytes from the header that hold the rules used: 525 kB, 574 kB with CRLF line ends.
_MERGES_WINDOW = 640_000
# Decompressed bytes read from a .gz (open_clip's is a tar: a 512-byte header comes first).
_GZIP_READ_SIZE = _MERGES_WINDOW + 4096


class VocabularyProvider(StrEnum):
    OVERRIDE = VOCAB_PATH_ENV
    INSTANT = INSTANT_DISTRIBUTION
    OPEN_CLIP = OPEN_CLIP_DISTRIBUTION
    HUB = "huggingface-hub"


class VocabularySource(NamedTuple):
    """The provider that gave the vocabulary and the file its merge rules are read from."""

    provider: VocabularyProvider
    path: Path


def find_vocabulary_source() -> VocabularySource:
    """The first provider present (see the module docstring), downloading from the Hub if needed."""
    override = override_path()
    if override is not None:
        return VocabularySource(VocabularyProvider.OVERRIDE, override)
    instant = instant_module_path()
    if instant is not None:
        return VocabularySource(VocabularyProvider.INSTANT, instant)
    open_clip = open_clip_vocab_path()
    if open_clip is not None:
        return VocabularySource(VocabularyProvider.OPEN_CLIP, open_clip)
    return VocabularySource(VocabularyProvider.HUB, hub_merges_path())


def override_path() -> Path | None:
    """The file `AIDXL_CLIP_VOCAB` names, or None when it is unset or empty."""
    value = os.environ.get(VOCAB_PATH_ENV, "").strip()
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise ClipVocabularyError(
            f"{path}: no such file ({VOCAB_PATH_ENV} names the CLIP vocabulary: a merges.txt "
            "or bpe_simple_vocab_16e6.txt[.gz])"
        )
    return path


def _package_folders(package: str) -> list[Path]:
    # find_spec of a top-level name locates the package without importing it.
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return []
    return [Path(folder) for folder in (spec.submodule_search_locations or [])] if spec is not None else []


def instant_module_path() -> Path | None:
    """The compiled module of the installed `instant-clip-tokenizer`, or None."""
    for folder in _package_folders(INSTANT_PACKAGE):
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            candidate = folder / f"{INSTANT_PACKAGE}{suffix}"
            if candidate.is_file():
                return candidate
    return None


def open_clip_vocab_path() -> Path | None:
    """`bpe_simple_vocab_16e6.txt.gz` of the installed `open-clip-torch`, or None."""
    for folder in _package_folders(OPEN_CLIP_PACKAGE):
        candidate = folder / OPEN_CLIP_FILE_NAME
        if candidate.is_file():
            return candidate
    return None


def _not_found(reason: str) -> ClipVocabularyError:
    return ClipVocabularyError(
        f"CLIP vocabulary not found: neither {INSTANT_DISTRIBUTION} nor {OPEN_CLIP_DISTRIBUTION} is "
        f"installed and {reason}; fetch it once with `{HUB_DOWNLOAD_COMMAND}`, or set "
        f"{VOCAB_PATH_ENV}=PATH to a CLIP merges.txt"
    )


def hub_merges_path() -> Path:
    """`merges.txt` from the Hugging Face cache, downloaded into it first if it is not there."""
    try:
        import huggingface_hub
        from huggingface_hub import constants
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError as error:
        raise _not_found(f"huggingface_hub cannot be imported ({error})") from error
    try:
        return Path(
            huggingface_hub.hf_hub_download(
                HUB_REPO_ID, HUB_FILE_NAME, revision=HUB_REVISION, local_files_only=True
            )
        )
    except LocalEntryNotFoundError:
        pass
    if constants.HF_HUB_OFFLINE:
        raise _not_found(f"the Hugging Face Hub is offline (HF_HUB_OFFLINE=1) with no cached {HUB_FILE_NAME}")
    try:
        # One request without retries first: when the Hub cannot be reached, hf_hub_download itself
        # retries with back-off for half a minute before it gives up.
        huggingface_hub.get_hf_file_metadata(
            huggingface_hub.hf_hub_url(HUB_REPO_ID, HUB_FILE_NAME, revision=HUB_REVISION)
        )
        return Path(huggingface_hub.hf_hub_download(HUB_REPO_ID, HUB_FILE_NAME, revision=HUB_REVISION))
    except Exception as error:  # network and Hub errors differ between huggingface_hub versions
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise _not_found(f"the Hugging Face Hub could not be reached ({reason})") from error


def read_merge_lines(path: Path) -> tuple[str, ...]:
    """The `MERGE_COUNT` merge rules (`"first second"`) in rank order, checked against the digest.

    `path` may be a `merges.txt`, the vocabulary `.txt` or `.txt.gz`, or any file that holds the
    vocabulary text verbatim after a `#version: 0.2` line (such as instant-clip-tokenizer's module).
    """
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as compressed:
                data = compressed.read(_GZIP_READ_SIZE)
        else:
            data = path.read_bytes()
    except (OSError, EOFError) as error:
        raise ClipVocabularyError(f"{path}: unreadable CLIP vocabulary ({error})") from error
    return merge_lines_from_bytes(data, path)


def merge_lines_from_bytes(data: bytes, path: Path) -> tuple[str, ...]:
    """The merge rules after the first `#version: 0.2` line of `data` (read from `path`)."""
    start = data.find(MERGES_HEADER)
    if start < 0:
        raise ClipVocabularyError(f"{path}: not a CLIP vocabulary (no `#version: 0.2` line)")
    lines = data[start : start + _MERGES_WINDOW].replace(b"\r\n", b"\n").split(b"\n")
    if len(lines) <= MERGE_COUNT:
        raise ClipVocabularyError(
            f"{path}:{len(lines)}: CLIP vocabulary too short, {MERGE_COUNT} merges expected"
        )
    merge_text = b"\n".join(lines[1 : MERGE_COUNT + 1]) + b"\n"
    try:
        merge_lines = tuple(merge_text.decode("utf-8")[:-1].split("\n"))
    except UnicodeDecodeError as error:
        raise ClipVocabularyError(f"{path}: CLIP vocabulary is not UTF-8 text ({error.reason})") from error
    # One space per rule, checked at C speed; the slow search only runs to name a bad line.
    if merge_text.count(b" ") != MERGE_COUNT or "" in merge_lines:
        for line_number, line in enumerate(merge_lines, start=2):
            if line.count(" ") != 1 or line.startswith(" ") or line.endswith(" "):
                raise ClipVocabularyError(f"{path}:{line_number}: not a merge rule: {line!r}")
    digest = hashlib.sha256(merge_text).hexdigest()
    if digest != MERGES_SHA256:
        raise ClipVocabularyError(
            f"{path}: checksum mismatch: its {MERGE_COUNT} CLIP merge rules hash to sha256 {digest[:16]}…, "
            f"not {MERGES_SHA256[:16]}… (a damaged or different vocabulary; delete it and fetch it again)"
        )
    return merge_lines


def load_merge_lines(path: Path) -> tuple[str, ...]:
    """`read_merge_lines(path)` through the user cache's `marshal` copy.

    The copy is named after the source file's path, size and time and the Python version, and is
    written only after the digest check; any problem with it just falls back to the file.
    """
    cache_path = merges_cache_path(path)
    merge_lines = _read_cached_merge_lines(cache_path) if cache_path is not None else None
    if merge_lines is None:
        merge_lines = read_merge_lines(path)
        if cache_path is not None:
            _write_cached_merge_lines(cache_path, merge_lines)
    return merge_lines


@lru_cache(maxsize=1)
def _installed_outcome() -> tuple[str, ...] | ClipVocabularyError:
    # A failure is remembered too: the explorer counts tokens on every edit, and a missing
    # vocabulary must not mean a Hub request each time.
    try:
        return load_merge_lines(find_vocabulary_source().path)
    except ClipVocabularyError as error:
        return error


def installed_merge_lines() -> tuple[str, ...]:
    """The merge rules of the first provider present, found once per process."""
    outcome = _installed_outcome()
    if isinstance(outcome, ClipVocabularyError):
        raise ClipVocabularyError(str(outcome))
    return outcome


def vocabulary_error() -> ClipVocabularyError | None:
    """Why no provider gives the vocabulary in this process, or None when one does."""
    outcome = _installed_outcome()
    return outcome if isinstance(outcome, ClipVocabularyError) else None


def merges_cache_path(path: Path) -> Path | None:
    from kb.paths import cache_dir

    try:
        status = path.stat()
    except OSError:
        return None
    location = hashlib.sha256(os.fsencode(path.resolve())).hexdigest()[:12]
    version = f"{sys.version_info[0]}{sys.version_info[1]}"
    name = f"merges-{location}-{status.st_size}-{status.st_mtime_ns}-py{version}.marshal"
    return cache_dir() / "clip-bpe" / name


def _read_cached_merge_lines(cache_path: Path) -> tuple[str, ...] | None:
    try:
        loaded = marshal.loads(cache_path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(loaded, tuple) or len(loaded) != MERGE_COUNT:
        return None
    return loaded if all(isinstance(line, str) for line in loaded) else None


def _write_cached_merge_lines(cache_path: Path, merge_lines: tuple[str, ...]) -> None:
    # Written to a temporary name and renamed, so a reader never sees half a file.
    temporary = cache_path.with_name(f"{cache_path.name}.{os.getpid()}.tmp")
    try:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(marshal.dumps(merge_lines))
        os.replace(temporary, cache_path)
    except OSError:
        temporary.unlink(missing_ok=True)
