"""The search index as flat arrays: built from the catalog once, saved as one file that is mapped, not read.

Strings are stored as UTF-8 blobs joined by a separator with byte offsets (no pickles), numbers as
numpy arrays. Loading maps the file (`mmap`) and views each array in place: nothing is copied,
decoded or split, so a saved index is ready in about a millisecond whatever the catalog's size;
a string is decoded when a search reads it (see `PackedStrings`).

Arrays (n entries, m strings, s word-start suffixes, g distinct trigrams, w distinct words):
- entries: `entry_texts`, `entry_tags` (blobs, with `*_starts` byte offsets), `entry_kind`
  (int8 code, see filters.KIND_CODES), `entry_category` (int8, -1 none), `entry_count` (int64),
  `entry_tier` (int8, position in rows.TIER_ORDER: 0 verified, 1 author, 2 danbooru);
- strings: `string_normals`, `string_looses` (blobs with `*_starts`), `string_entry` (int32),
  `string_source` (int8);
- suffixes, sorted: `suffix_keys` (blob with `suffix_key_starts`), `suffix_string` (int32),
  `suffix_offset` (int16) — every loose string from each of its word starts: `lucy cyberpunk`
  gives `lucy cyberpunk`, `cyberpunk`;
- `word_hashes` (uint32, sorted, w or fewer): CRC-32 of every distinct word, a quick "is this a word"
  test for typo neighbours of a short query (a collision only costs one more lookup, never a result);
- `suffixes_by_string` (int32, s) and `suffix_starts_by_string` (int64, m+1): each string's suffixes;
- trigrams of ` loose ` (padded): `trigram_codes` (int64, sorted), `trigram_starts` (int64, g+1),
  `trigram_strings` (int32, the posting lists, each sorted, no repeats).

File layout (INDEX_FORMAT_VERSION): FILE_MAGIC, the header's length (uint64, little-endian), the
header (JSON: `format_version` and, per array, its name, dtype, shape and byte offset), then each
array's bytes at its offset (aligned to ARRAY_ALIGNMENT). Version 4 and older were .npz files;
version 5 had `entry_verified` (bool) where version 6 has `entry_tier`.
"""

from __future__ import annotations

import json
import mmap
import struct
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from kb.search.filters import kind_code
from kb.search.normalize import loosen, word_starts
from kb.search.rows import NO_CATEGORY, CatalogRows

INDEX_FORMAT_VERSION = 6
FILE_MAGIC = b"AIDXLSIX"
ARRAY_ALIGNMENT = 64
_HEADER_LENGTH = struct.Struct("<Q")
BLOB_SEPARATOR = "\x1f"
_TRIGRAM_PAD = " "
_CODE_BASE = 0x110000  # one more than the largest code point: codes of 3 code points fit in int64

IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
# build_arrays' stages, in order, as it reports them to its `on_stage` callback (a progress bar).
ARRAY_STAGES = ("normalising strings", "word-start suffixes", "trigrams", "packing arrays")
StageCallback = Callable[[str], None]


def join_blob(texts: list[str]) -> npt.NDArray[np.uint8]:
    return np.frombuffer(BLOB_SEPARATOR.join(texts).encode("utf-8"), dtype=np.uint8)


def blob_starts(texts: list[str]) -> IntArray:
    """Byte offset of each text in its joined blob, plus the end + 1 (for PackedStrings)."""
    lengths = np.fromiter((len(text.encode("utf-8")) + 1 for text in texts), dtype=np.int64, count=len(texts))
    return np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)


def encoded(text: str) -> bytes:
    # surrogatepass: a stray surrogate in a query still encodes, in code point order.
    return text.encode("utf-8", "surrogatepass")


def word_hash(word: str) -> int:
    return zlib.crc32(encoded(word))


class PackedStrings(Sequence[str]):
    """A list of strings kept as one UTF-8 blob: nothing is decoded until a string is read.

    A sorted list is searched in its bytes (`bisect_left` / `bisect_right`): UTF-8 byte order is
    code point order, so the positions are those `bisect` gives on the list of str.
    """

    def __init__(self, blob: npt.NDArray[np.uint8], starts: IntArray) -> None:
        self._data = blob.data  # a memoryview: slices of it decode without a copy of the blob
        # numpy, not a list: a list of Python ints would cost 36 bytes per string.
        self._starts = starts

    def __len__(self) -> int:
        return int(self._starts.size) - 1

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        if isinstance(index, slice):
            low, high, step = index.indices(len(self))
            if step == 1:
                return self.run(low, high)
            return [self[position] for position in range(low, high, step)]
        size = len(self)
        if not -size <= index < size:
            raise IndexError(index)
        index %= size
        start, end = self._starts[index : index + 2].tolist()
        return str(self._data[start : end - 1], "utf-8")

    def run(self, low: int, high: int) -> list[str]:
        """Strings low..high-1, decoded and split at once (fast for long runs)."""
        if high <= low:
            return []
        start, end = int(self._starts[low]), int(self._starts[high])
        return str(self._data[start : end - 1], "utf-8").split(BLOB_SEPARATOR)

    def _key(self, position: int) -> bytes:
        start, end = self._starts[position : position + 2].tolist()
        return self._data[start : end - 1].tobytes()

    def bisect_left(self, text: str, low: int = 0, high: int | None = None) -> int:
        """First position whose string is >= text (the list must be sorted)."""
        target = encoded(text)
        high = len(self) if high is None else high
        while low < high:
            middle = (low + high) // 2
            if self._key(middle) < target:
                low = middle + 1
            else:
                high = middle
        return low

    def bisect_right(self, text: str, low: int = 0, high: int | None = None) -> int:
        """First position whose string is > text (the list must be sorted)."""
        target = encoded(text)
        high = len(self) if high is None else high
        while low < high:
            middle = (low + high) // 2
            if target < self._key(middle):
                high = middle
            else:
                low = middle + 1
        return low


@dataclass
class IndexArrays:
    entry_texts: npt.NDArray[np.uint8]
    entry_text_starts: IntArray
    entry_tags: npt.NDArray[np.uint8]
    entry_tag_starts: IntArray
    entry_kind: npt.NDArray[np.int8]
    entry_category: npt.NDArray[np.int8]
    entry_count: IntArray
    entry_tier: npt.NDArray[np.int8]
    string_normals: npt.NDArray[np.uint8]
    string_normal_starts: IntArray
    string_looses: npt.NDArray[np.uint8]
    string_loose_starts: IntArray
    string_entry: Int32Array
    string_source: npt.NDArray[np.int8]
    suffix_keys: npt.NDArray[np.uint8]
    suffix_key_starts: IntArray
    suffix_string: Int32Array
    suffix_offset: npt.NDArray[np.int16]
    word_hashes: npt.NDArray[np.uint32]
    suffixes_by_string: Int32Array
    suffix_starts_by_string: IntArray
    trigram_codes: IntArray
    trigram_starts: IntArray
    trigram_strings: Int32Array

    def save(self, path: Path) -> None:
        """Write atomically (temp file + rename): a reader never sees half an index, and a process
        that maps the old file keeps reading the old file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {name: np.ascontiguousarray(array) for name, array in self._arrays().items()}
        entries: list[list[Any]] = []
        # Offsets count from the data start; fixed once the header's length is known.
        offset = 0
        for name, array in arrays.items():
            entries.append([name, array.dtype.str, list(array.shape), offset])
            offset += -(-array.nbytes // ARRAY_ALIGNMENT) * ARRAY_ALIGNMENT
        header = json.dumps({"format_version": INDEX_FORMAT_VERSION, "arrays": entries}).encode()
        prefix = len(FILE_MAGIC) + _HEADER_LENGTH.size + len(header)
        data_start = -(-prefix // ARRAY_ALIGNMENT) * ARRAY_ALIGNMENT
        header = header.ljust(data_start - len(FILE_MAGIC) - _HEADER_LENGTH.size)
        partial = path.with_name(f"{path.name}.partial")
        with partial.open("wb") as handle:
            handle.write(FILE_MAGIC + _HEADER_LENGTH.pack(len(header)) + header)
            for (_, _, _, array_offset), array in zip(entries, arrays.values(), strict=True):
                handle.seek(data_start + array_offset)
                handle.write(array.tobytes())
            handle.truncate(data_start + offset)
        partial.replace(path)

    def _arrays(self) -> dict[str, Any]:
        return {item.name: getattr(self, item.name) for item in fields(self)}

    @classmethod
    def load(cls, path: Path) -> IndexArrays | None:
        """The saved index, mapped read-only; None when the file is missing, damaged or of another format."""
        try:
            with path.open("rb") as handle:
                mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            return cls._from_mapped(mapped)
        except (OSError, KeyError, ValueError, TypeError, IndexError, struct.error):
            return None

    @classmethod
    def _from_mapped(cls, mapped: mmap.mmap) -> IndexArrays | None:
        if mapped[: len(FILE_MAGIC)] != FILE_MAGIC:
            return None
        (header_length,) = _HEADER_LENGTH.unpack_from(mapped, len(FILE_MAGIC))
        data_start = len(FILE_MAGIC) + _HEADER_LENGTH.size + header_length
        header = json.loads(mapped[len(FILE_MAGIC) + _HEADER_LENGTH.size : data_start])
        if header.get("format_version") != INDEX_FORMAT_VERSION:
            return None
        stored: dict[str, npt.NDArray[Any]] = {}
        for name, dtype_name, shape, offset in header["arrays"]:
            dtype = np.dtype(dtype_name)
            count = int(np.prod(shape, dtype=np.int64))
            start = data_start + int(offset)
            if start + count * dtype.itemsize > len(mapped):
                return None  # cut short
            # Views into the mapping (read-only): the pages are read from the file as searches touch them.
            stored[name] = np.frombuffer(mapped, dtype=dtype, count=count, offset=start).reshape(shape)
        return cls(**{item.name: stored[item.name] for item in fields(cls)})

    @property
    def nbytes(self) -> int:
        return sum(int(array.nbytes) for array in self._arrays().values())


def trigram_codes_of(padded: str) -> list[int]:
    points = [ord(character) for character in padded]
    return [
        (points[i] * _CODE_BASE + points[i + 1]) * _CODE_BASE + points[i + 2] for i in range(len(points) - 2)
    ]


def pad_for_trigrams(loose: str) -> str:
    return f"{_TRIGRAM_PAD}{loose}{_TRIGRAM_PAD}"


def build_arrays(rows: CatalogRows, on_stage: StageCallback | None = None) -> IndexArrays:
    """Flatten catalog rows into the index arrays (a few seconds for the full catalog).

    `on_stage(label)` is called as each of ARRAY_STAGES starts.
    """
    stage = on_stage if on_stage is not None else _no_stage
    stage(ARRAY_STAGES[0])
    string_keys = sorted(rows.strings, key=lambda key: (key[0], rows.strings[key]))
    normals = [normal for _, normal in string_keys]
    looses = [loosen(normal) for normal in normals]
    stage(ARRAY_STAGES[1])
    suffix_pairs: list[tuple[str, int, int]] = []
    for string_id, loose in enumerate(looses):
        for offset in word_starts(loose):
            suffix_pairs.append((loose[offset:], string_id, offset))
    suffix_pairs.sort()
    stage(ARRAY_STAGES[2])
    trigram_codes, trigram_starts, trigram_strings = _build_trigrams(looses)
    stage(ARRAY_STAGES[3])
    tag_names = [name or "" for name in rows.tag_names]
    suffix_keys = [key for key, _, _ in suffix_pairs]
    suffix_string = np.array([string_id for _, string_id, _ in suffix_pairs], dtype=np.int32)
    suffixes_by_string = np.argsort(suffix_string, kind="stable")
    return IndexArrays(
        entry_texts=join_blob(rows.texts),
        entry_text_starts=blob_starts(rows.texts),
        entry_tags=join_blob(tag_names),
        entry_tag_starts=blob_starts(tag_names),
        entry_kind=np.array([kind_code(kind) for kind in rows.kinds], dtype=np.int8),
        entry_category=np.array(rows.categories, dtype=np.int8),
        entry_count=np.array(rows.counts, dtype=np.int64),
        entry_tier=np.array(rows.tiers, dtype=np.int8),
        string_normals=join_blob(normals),
        string_normal_starts=blob_starts(normals),
        string_looses=join_blob(looses),
        string_loose_starts=blob_starts(looses),
        string_entry=np.array([entry for entry, _ in string_keys], dtype=np.int32),
        string_source=np.array([int(rows.strings[key]) for key in string_keys], dtype=np.int8),
        suffix_keys=join_blob(suffix_keys),
        suffix_key_starts=blob_starts(suffix_keys),
        suffix_string=suffix_string,
        suffix_offset=np.array([offset for _, _, offset in suffix_pairs], dtype=np.int16),
        word_hashes=np.array(
            sorted({word_hash(key.split(" ", 1)[0]) for key, _, _ in suffix_pairs}), dtype=np.uint32
        ),
        suffixes_by_string=suffixes_by_string.astype(np.int32),
        suffix_starts_by_string=np.searchsorted(
            suffix_string[suffixes_by_string], np.arange(len(looses) + 1)
        ).astype(np.int64),
        trigram_codes=trigram_codes,
        trigram_starts=trigram_starts,
        trigram_strings=trigram_strings,
    )


def _no_stage(label: str) -> None:
    return None


def _build_trigrams(looses: list[str]) -> tuple[IntArray, IntArray, Int32Array]:
    """Posting lists of string ids per trigram, computed with numpy over all strings at once."""
    padded = [pad_for_trigrams(loose) for loose in looses]
    lengths = np.array([len(text) for text in padded], dtype=np.int64)
    points = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    string_of_point = np.repeat(np.arange(len(padded), dtype=np.int32), lengths)
    codes = (points[:-2] * _CODE_BASE + points[1:-1]) * _CODE_BASE + points[2:]
    # A trigram belongs to a string when its three points do: drop those across a boundary.
    inside = string_of_point[:-2] == string_of_point[2:]
    codes = codes[inside]
    owners = string_of_point[:-2][inside]
    order = np.lexsort((owners, codes))
    codes = codes[order]
    owners = owners[order]
    distinct = np.ones(codes.size, dtype=np.bool_)
    distinct[1:] = (codes[1:] != codes[:-1]) | (owners[1:] != owners[:-1])
    codes = codes[distinct]
    owners = owners[distinct]
    first = np.ones(codes.size, dtype=np.bool_)
    first[1:] = codes[1:] != codes[:-1]
    starts = np.flatnonzero(first).astype(np.int64)
    return codes[first], np.append(starts, codes.size).astype(np.int64), owners.astype(np.int32)


__all__ = [
    "ARRAY_STAGES",
    "NO_CATEGORY",
    "IndexArrays",
    "PackedStrings",
    "build_arrays",
    "pad_for_trigrams",
    "trigram_codes_of",
    "word_hash",
]
