"""The search index as flat arrays: built from the catalog once, saved as one file that is mapped, not read.

Strings are stored as UTF-8 blobs joined by a separator with byte offsets (no pickles), numbers as
numpy arrays. Loading maps the file (`mmap`) and views each array in place: nothing is copied,
decoded or split; a string is decoded when a search reads it (see `PackedStrings`).

Arrays (n entries, m strings, s word-start suffixes, g distinct trigrams, w distinct words):
- entries: `entry_texts`, `entry_tags` (blobs, with `*_starts` byte offsets), `entry_kind`
  (int8 code, see filters.KIND_CODES), `entry_category` (int8, -1 none), `entry_count` (int64),
  `entry_tier` (int8, position in rows.TIER_ORDER: 0 verified, 1 author, 2 danbooru);
- strings: `string_normals`, `string_looses` (blobs with `*_starts`), `string_entry` (int32),
  `string_source` (int8);
- suffixes, sorted: every loose string from each of its word starts (`lucy cyberpunk` gives
  `lucy cyberpunk`, `cyberpunk`), kept as byte positions into `string_looses` (a suffix runs to
  the end of its string, so it needs no bytes of its own): `suffix_key_starts` (int64),
  `suffix_string` (int32), `suffix_offset` (int32, bytes from the string's start: 0 = the whole
  string), `suffix_word_length` (uint8, bytes of the suffix's first word, up to a space; 255 for
  255 or more);
- `word_keys` (uint64, sorted, w or fewer): the first 8 bytes (zero-padded, big-endian) of every
  distinct word, a quick "may this be a word" test for typo neighbours of a short query (a longer
  word shares its key with others: that only costs one more lookup, never a result);
- `suffixes_by_string` (int32, s) and `suffix_starts_by_string` (int64, m+1): each string's suffixes;
- trigrams of ` loose ` (padded): `trigram_codes` (int64, sorted), `trigram_starts` (int64, g+1),
  `trigram_strings` (int32, the posting lists, each sorted, no repeats).

The build is numpy over whole arrays (a million-tag catalog in seconds, memory a few hundred bytes
per string): suffixes are sorted by their bytes 24 at a time (`_byte_order`), trigrams as one
sorted array of (trigram, string) keys.

File layout (INDEX_FORMAT_VERSION): FILE_MAGIC, the header's length (uint64, little-endian), the
header (JSON: `format_version`, `arrays` (per array: name, dtype, shape, byte offset and the
xxh3-128 digest of its bytes) and `header_digest`, the digest of the `arrays` list), then each
array's bytes at its offset (aligned to ARRAY_ALIGNMENT). A file is verified once per process
and file identity (device, inode, size, mtime, ctime): every array against its digest, so a
damaged file is rebuilt, never searched (`DamagedIndexError`). Version 4 and older were .npz
files; version 5 had `entry_verified` (bool) where version 6 has `entry_tier`; version 7 added the
digests, `word_keys` (for CRC-32 `word_hashes`) and suffixes as positions (for their own blob).
"""

from __future__ import annotations

import json
import mmap
import os
import struct
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, overload

import numpy as np
import numpy.typing as npt
import xxhash

from kb.search.filters import kind_code
from kb.search.rows import NO_CATEGORY, CatalogRows

INDEX_FORMAT_VERSION = 7
FILE_MAGIC = b"AIDXLSIX"
ARRAY_ALIGNMENT = 64
_HEADER_LENGTH = struct.Struct("<Q")
BLOB_SEPARATOR = "\x1f"
_TRIGRAM_PAD = " "
_CODE_BASE = 0x110000  # one more than the largest code point: codes of 3 code points fit in int64
# Suffixes are sorted by this many bytes at a time (three uint64 keys); longer ties go another round.
_SORT_WIDTH = 24
# `suffix_word_length` of a first word this long or longer.
LONG_WORD = 255
# Strings turned into trigram keys per batch (bounds the build's temporary arrays).
_TRIGRAM_BATCH = 250_000

IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
UInt64Array = npt.NDArray[np.uint64]
ByteArray = npt.NDArray[np.uint8]
# build_arrays' stages, in order, as it reports them to its `on_stage` callback (a progress bar).
ARRAY_STAGES = ("normalising strings", "word-start suffixes", "trigrams", "packing arrays")
StageCallback = Callable[[str], None]

# Bytes that are letters or digits in a loose string (lower case): where words start.
_WORD_BYTES = np.zeros(256, dtype=np.bool_)
for _byte in b"abcdefghijklmnopqrstuvwxyz0123456789":
    _WORD_BYTES[_byte] = True


class DamagedIndexError(Exception):
    """A saved index that cannot be trusted: cut short, unreadable, or an array not matching its digest."""


def pack_strings(texts: Sequence[str]) -> tuple[ByteArray, IntArray]:
    """The texts as one UTF-8 blob joined by BLOB_SEPARATOR, and each one's byte offset plus the
    end + 1 (see PackedStrings)."""
    encoded = [text.encode("utf-8") for text in texts]
    blob = np.frombuffer(BLOB_SEPARATOR.encode().join(encoded), dtype=np.uint8)
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)) + 1
    return blob, np.concatenate((np.zeros(1, dtype=np.int64), np.cumsum(lengths, dtype=np.int64)))


def encoded(text: str) -> bytes:
    # surrogatepass: a stray surrogate in a query still encodes, in code point order.
    return text.encode("utf-8", "surrogatepass")


def word_key(word: str) -> int:
    """The `word_keys` value of a word: its first 8 UTF-8 bytes, zero-padded, big-endian."""
    return int.from_bytes(encoded(word)[:8].ljust(8, b"\0"), "big")


class PackedStrings(Sequence[str]):
    """A list of strings kept as one UTF-8 blob: nothing is decoded until a string is read.

    String i runs from `starts[i]` to the byte before `starts[i + 1]` (the separator) or, when
    `owners` and `owner_starts` are given, to the end of string `owners[i]` of a blob whose strings
    start at `owner_starts` (suffixes of those strings, sharing their bytes).
    A sorted list is searched in its bytes (`bisect_left` / `bisect_right`): UTF-8 byte order is
    code point order, so the positions are those `bisect` gives on the list of str.
    """

    def __init__(
        self,
        blob: ByteArray,
        starts: IntArray,
        owners: Int32Array | None = None,
        owner_starts: IntArray | None = None,
    ) -> None:
        self._data = blob.data  # a memoryview: slices of it decode without a copy of the blob
        # numpy, not a list: a list of Python ints would cost 36 bytes per string.
        self._starts = starts
        self._owners = owners
        self._owner_starts = owner_starts
        self._size = int(starts.size) - 1 if owners is None else int(starts.size)

    def __len__(self) -> int:
        return self._size

    def _span(self, index: int) -> tuple[int, int]:
        if self._owners is None or self._owner_starts is None:
            start, after = self._starts[index : index + 2].tolist()
            return int(start), int(after) - 1
        return int(self._starts[index]), int(self._owner_starts[int(self._owners[index]) + 1]) - 1

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
        start, end = self._span(index % size)
        return str(self._data[start:end], "utf-8")

    def run(self, low: int, high: int) -> list[str]:
        """Strings low..high-1 (decoded and split at once when they lie one after another)."""
        if high <= low:
            return []
        if self._owners is not None:
            return [self[position] for position in range(low, high)]
        start, end = int(self._starts[low]), int(self._starts[high])
        return str(self._data[start : end - 1], "utf-8").split(BLOB_SEPARATOR)

    def _key(self, position: int) -> bytes:
        start, end = self._span(position)
        return self._data[start:end].tobytes()

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


# The dtype each array must have in a saved file (a header naming another is damaged).
_DTYPES: dict[str, np.dtype[Any]] = {}


@dataclass
class IndexArrays:
    entry_texts: ByteArray
    entry_text_starts: IntArray
    entry_tags: ByteArray
    entry_tag_starts: IntArray
    entry_kind: npt.NDArray[np.int8]
    entry_category: npt.NDArray[np.int8]
    entry_count: IntArray
    entry_tier: npt.NDArray[np.int8]
    string_normals: ByteArray
    string_normal_starts: IntArray
    string_looses: ByteArray
    string_loose_starts: IntArray
    string_entry: Int32Array
    string_source: npt.NDArray[np.int8]
    suffix_key_starts: IntArray
    suffix_string: Int32Array
    suffix_offset: Int32Array
    suffix_word_length: ByteArray
    word_keys: UInt64Array
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
            digest = xxhash.xxh3_128_hexdigest(array.data.cast("B"))
            entries.append([name, array.dtype.str, list(array.shape), offset, digest])
            offset += -(-array.nbytes // ARRAY_ALIGNMENT) * ARRAY_ALIGNMENT
        header = json.dumps(
            {
                "format_version": INDEX_FORMAT_VERSION,
                "arrays": entries,
                "header_digest": _header_digest(entries),
            }
        ).encode()
        prefix = len(FILE_MAGIC) + _HEADER_LENGTH.size + len(header)
        data_start = -(-prefix // ARRAY_ALIGNMENT) * ARRAY_ALIGNMENT
        header = header.ljust(data_start - len(FILE_MAGIC) - _HEADER_LENGTH.size)
        partial = path.with_name(f"{path.name}.partial")
        with partial.open("wb") as handle:
            handle.write(FILE_MAGIC + _HEADER_LENGTH.pack(len(header)) + header)
            for (_, _, _, array_offset, _), array in zip(entries, arrays.values(), strict=True):
                handle.seek(data_start + array_offset)
                handle.write(array.data.cast("B"))
            # No padding after the last array: a file cut by even one byte is cut short.
            last_offset, last = entries[-1][3], list(arrays.values())[-1]
            handle.truncate(data_start + last_offset + last.nbytes)
        partial.replace(path)
        _remember_verified(path)

    def _arrays(self) -> dict[str, Any]:
        return {item.name: getattr(self, item.name) for item in fields(self)}

    @classmethod
    def load(cls, path: Path) -> IndexArrays | None:
        """The saved index, mapped read-only; None when the file is missing, damaged or of another format."""
        try:
            return cls.open(path)
        except (OSError, DamagedIndexError):
            return None

    @classmethod
    def open(cls, path: Path) -> IndexArrays | None:
        """The saved index, mapped read-only and verified (once per process and file identity);
        None when it is of another format. Raises DamagedIndexError when it cannot be trusted,
        OSError when it cannot be read."""
        with path.open("rb") as handle:
            identity = _file_identity(os.fstat(handle.fileno()))
            if identity[2] == 0:
                raise DamagedIndexError("empty file")
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        verify = identity not in _verified_files
        try:
            arrays = cls._from_mapped(mapped, verify=verify)
        except (KeyError, ValueError, TypeError, IndexError, struct.error) as error:
            raise DamagedIndexError(f"unreadable header ({type(error).__name__})") from None
        if arrays is not None and verify:
            with _verified_lock:
                _verified_files.add(identity)
        return arrays

    @classmethod
    def _from_mapped(cls, mapped: mmap.mmap, *, verify: bool) -> IndexArrays | None:
        if mapped[: len(FILE_MAGIC)] != FILE_MAGIC:
            raise DamagedIndexError("not a search index (wrong magic bytes)")
        (header_length,) = _HEADER_LENGTH.unpack_from(mapped, len(FILE_MAGIC))
        data_start = len(FILE_MAGIC) + _HEADER_LENGTH.size + header_length
        if data_start > len(mapped):
            raise DamagedIndexError("cut short inside its header")
        header = json.loads(mapped[len(FILE_MAGIC) + _HEADER_LENGTH.size : data_start])
        if not isinstance(header, dict):
            raise DamagedIndexError("unreadable header")
        if header.get("format_version") != INDEX_FORMAT_VERSION:
            return None  # an older or newer format: rebuilt, not damaged
        entries = header["arrays"]
        if header.get("header_digest") != _header_digest(entries):
            raise DamagedIndexError("header does not match its digest")
        expected = _expected_dtypes()
        stored: dict[str, npt.NDArray[Any]] = {}
        for name, dtype_name, shape, offset, digest in entries:
            dtype = np.dtype(dtype_name)
            if name not in expected or dtype != expected[name] or len(shape) != 1:
                raise DamagedIndexError(f"unexpected array {name!r} ({dtype_name}, {len(shape)} dimensions)")
            count = int(shape[0])
            start = data_start + int(offset)
            if count < 0 or int(offset) < 0 or start + count * dtype.itemsize > len(mapped):
                raise DamagedIndexError(f"cut short (array {name!r} runs past the end)")
            # Views into the mapping (read-only): the pages are read from the file as searches touch them.
            array = np.frombuffer(mapped, dtype=dtype, count=count, offset=start)
            if verify and xxhash.xxh3_128_hexdigest(array.data.cast("B")) != digest:
                raise DamagedIndexError(f"array {name!r} does not match its checksum")
            stored[name] = array
        missing = sorted(set(expected) - set(stored))
        if missing:
            raise DamagedIndexError(f"arrays missing: {', '.join(missing)}")
        return cls(**stored)

    @property
    def nbytes(self) -> int:
        return sum(int(array.nbytes) for array in self._arrays().values())


def _header_digest(entries: list[list[Any]]) -> str:
    return xxhash.xxh3_128_hexdigest(json.dumps(entries, sort_keys=True).encode())


def _expected_dtypes() -> dict[str, np.dtype[Any]]:
    if not _DTYPES:
        # The dtypes build_arrays gives each array, read from an empty build.
        empty = build_arrays(CatalogRows())
        _DTYPES.update({name: array.dtype for name, array in empty._arrays().items()})
    return _DTYPES


# Files verified by this process: (device, inode, size, mtime_ns, ctime_ns). A file rewritten in
# place, cut, or replaced gets another identity and is verified again.
FileIdentity = tuple[int, int, int, int, int]
_verified_files: set[FileIdentity] = set()
_verified_lock = threading.Lock()


def _file_identity(stat: os.stat_result) -> FileIdentity:
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def _remember_verified(path: Path) -> None:
    with _verified_lock:
        _verified_files.add(_file_identity(path.stat()))


def forget_verified_files() -> None:
    """Verify every file again on its next load (tests, benchmarks measuring the first load)."""
    with _verified_lock:
        _verified_files.clear()


def trigram_codes_of(padded: str) -> list[int]:
    points = [ord(character) for character in padded]
    return [
        (points[i] * _CODE_BASE + points[i + 1]) * _CODE_BASE + points[i + 2] for i in range(len(points) - 2)
    ]


def pad_for_trigrams(loose: str) -> str:
    return f"{_TRIGRAM_PAD}{loose}{_TRIGRAM_PAD}"


def build_arrays(rows: CatalogRows, on_stage: StageCallback | None = None) -> IndexArrays:
    """Flatten catalog rows into the index arrays (seconds for a million tags).

    `on_stage(label)` is called as each of ARRAY_STAGES starts.
    """
    stage = on_stage if on_stage is not None else _no_stage
    stage(ARRAY_STAGES[0])
    strings = rows.searchable_strings()
    string_normals, string_normal_starts = pack_strings(strings.normals)
    del strings.normals[:]
    string_looses, string_loose_starts = pack_strings(strings.looses)
    stage(ARRAY_STAGES[1])
    suffixes = _word_start_suffixes(string_looses, string_loose_starts)
    stage(ARRAY_STAGES[2])
    trigram_codes, trigram_starts, trigram_strings = _build_trigrams(
        string_looses, string_loose_starts, strings.looses
    )
    del strings.looses[:]
    stage(ARRAY_STAGES[3])
    entry_texts, entry_text_starts = pack_strings(rows.texts)
    entry_tags, entry_tag_starts = pack_strings([name or "" for name in rows.tag_names])
    return IndexArrays(
        entry_texts=entry_texts,
        entry_text_starts=entry_text_starts,
        entry_tags=entry_tags,
        entry_tag_starts=entry_tag_starts,
        entry_kind=np.array([kind_code(kind) for kind in rows.kinds], dtype=np.int8),
        entry_category=np.array(rows.categories, dtype=np.int8),
        entry_count=np.array(rows.counts, dtype=np.int64),
        entry_tier=np.array(rows.tiers, dtype=np.int8),
        string_normals=string_normals,
        string_normal_starts=string_normal_starts,
        string_looses=string_looses,
        string_loose_starts=string_loose_starts,
        string_entry=strings.entries.astype(np.int32),
        string_source=strings.sources.astype(np.int8),
        suffix_key_starts=suffixes.starts,
        suffix_string=suffixes.strings,
        suffix_offset=suffixes.offsets,
        suffix_word_length=suffixes.word_lengths,
        word_keys=suffixes.word_keys,
        suffixes_by_string=suffixes.by_string,
        suffix_starts_by_string=suffixes.by_string_starts,
        trigram_codes=trigram_codes,
        trigram_starts=trigram_starts,
        trigram_strings=trigram_strings,
    )


def _no_stage(label: str) -> None:
    return None


@dataclass
class _Suffixes:
    starts: IntArray  # byte position in the loose blob, in sorted order
    strings: Int32Array
    offsets: Int32Array
    word_lengths: ByteArray
    word_keys: UInt64Array
    by_string: Int32Array
    by_string_starts: IntArray


def _word_start_suffixes(blob: ByteArray, starts: IntArray) -> _Suffixes:
    """Every word start of every loose string, sorted by the bytes from there to the string's end
    (ties by string, then offset), found and sorted with numpy over the whole blob.

    A word starts at each string's first byte and at a letter or digit after a byte that is not
    one (separators, spaces, punctuation, any byte of a non-ASCII character): the places
    normalize.word_starts gives, in bytes.
    """
    string_count = int(starts.size) - 1
    size = int(blob.size)
    is_word = _WORD_BYTES[blob]
    begins = np.zeros(size + 1, dtype=np.bool_)
    begins[:size] = is_word
    begins[1:size] &= ~is_word[:-1]
    del is_word
    begins[starts[:-1]] = True
    positions = np.flatnonzero(begins).astype(np.int64)
    del begins
    owners = (np.searchsorted(starts, positions, side="right") - 1).astype(np.int64)
    ends = starts[owners + 1] - 1
    order = _byte_order(blob, positions, ends)
    sorted_position = np.empty(order.size, dtype=np.int64)
    sorted_position[order] = np.arange(order.size, dtype=np.int64)
    # The first word of each suffix (up to a space) as a key for "is this a word".
    spaces = np.flatnonzero(blob == ord(" "))
    next_space = np.append(spaces, size)[np.searchsorted(spaces, positions)]
    word_ends = np.minimum(next_space, ends)
    words = _prefix_keys(blob, positions, word_ends, 0)
    words.sort()
    distinct = np.ones(words.size, dtype=np.bool_)
    distinct[1:] = words[1:] != words[:-1]
    return _Suffixes(
        starts=positions[order],
        strings=owners[order].astype(np.int32),
        offsets=(positions - starts[owners])[order].astype(np.int32),
        word_lengths=np.minimum(word_ends - positions, LONG_WORD)[order].astype(np.uint8),
        word_keys=words[distinct],
        # Suffixes were found string by string: each string's are a run of `sorted_position`.
        by_string=sorted_position.astype(np.int32),
        by_string_starts=np.searchsorted(owners, np.arange(string_count + 1)).astype(np.int64),
    )


def _prefix_keys(blob: ByteArray, starts: IntArray, ends: IntArray, skip: int) -> UInt64Array:
    """Bytes skip..skip+7 of each blob[start:end] as big-endian uint64s, zero past the end."""
    padded = np.concatenate((blob, np.zeros(8, dtype=np.uint8)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, 8)
    first = np.minimum(starts + skip, blob.size)
    chunk = windows[first]
    chunk[np.arange(8) >= (ends - starts - skip)[:, None]] = 0
    return chunk.view(">u8").ravel().astype(np.uint64)


def _byte_order(blob: ByteArray, starts: IntArray, ends: IntArray) -> IntArray:
    """The order of the byte strings blob[start:end] (ties by position: starts are ascending).

    Sorted by their first _SORT_WIDTH bytes (zero-padded) and their length capped at that + 1,
    which is their true order unless both are longer and agree there: such runs are sorted again
    by their next _SORT_WIDTH bytes, and so on (few strings go a second round).
    """
    count = int(starts.size)
    lengths = ends - starts
    ordered = np.arange(count, dtype=np.int64)  # the result, refined in place
    members = np.arange(count, dtype=np.int64)  # positions in `ordered` still being sorted
    runs = np.zeros(count, dtype=np.int64)  # the run (of equal keys so far) each member is in
    skip = 0
    while members.size:
        items = ordered[members]
        keys = [_prefix_keys(blob, starts[items], ends[items], skip + 8 * part) for part in range(3)]
        capped = np.minimum(lengths[items] - skip, _SORT_WIDTH + 1)
        # lexsort is stable and each run's items are in ascending order: ties keep that order.
        # The first round is one run.
        local = np.lexsort((capped, keys[2], keys[1], keys[0], runs) if skip else (capped, *keys[::-1]))
        items = items[local]
        ordered[members] = items
        runs = runs[local]
        keys = [key[local] for key in keys]
        longer = capped[local] > _SORT_WIDTH
        tied = (runs[1:] == runs[:-1]) & longer[1:] & longer[:-1]
        for key in keys:
            tied &= key[1:] == key[:-1]
        if not tied.any():
            break
        in_tie = np.zeros(members.size, dtype=np.bool_)
        in_tie[1:] |= tied
        in_tie[:-1] |= tied
        run_starts = np.ones(members.size, dtype=np.bool_)
        run_starts[1:] = ~tied
        runs = np.cumsum(run_starts, dtype=np.int64)[in_tie]
        members = members[in_tie]
        skip += _SORT_WIDTH
    return ordered


def _build_trigrams(
    blob: ByteArray, starts: IntArray, looses: list[str]
) -> tuple[IntArray, IntArray, Int32Array]:
    """Posting lists of string ids per trigram of each padded loose string (` loose `).

    A string of ASCII characters (nearly all) is read in its bytes: its trigram centred on each of
    its characters (a space beyond either end) becomes one uint64, the 21-bit trigram above the
    32-bit string id, and all of them are sorted at once. The other strings go through UTF-32: their
    ASCII trigrams join those keys, the rest are sorted apart and merged in.
    """
    string_count = int(starts.size) - 1
    lengths = np.diff(starts) - 1
    wide = np.zeros(string_count, dtype=np.bool_)
    high_bytes = np.flatnonzero(blob >= 0x80)
    if high_bytes.size:
        wide[np.searchsorted(starts, high_bytes, side="right") - 1] = True
    # Strings with a non-ASCII character: every trigram through UTF-32; their ASCII trigrams join
    # the keys below, the others stay apart (none of them is an ASCII trigram).
    codes_wide, owners_wide = _wide_trigrams(
        [looses[i] for i in np.flatnonzero(wide).tolist()], np.flatnonzero(wide)
    )
    points_wide = np.stack(
        (
            codes_wide // _CODE_BASE // _CODE_BASE,
            codes_wide // _CODE_BASE % _CODE_BASE,
            codes_wide % _CODE_BASE,
        )
    )
    ascii_of_wide = (points_wide < 128).all(axis=0)
    keys = np.empty(int(lengths[~wide].sum()) + int(ascii_of_wide.sum()), dtype=np.uint64)
    wide_keys = (
        (points_wide[0, ascii_of_wide].astype(np.uint64) << np.uint64(46))
        | (points_wide[1, ascii_of_wide].astype(np.uint64) << np.uint64(39))
        | (points_wide[2, ascii_of_wide].astype(np.uint64) << np.uint64(32))
        | owners_wide[ascii_of_wide].astype(np.uint64)
    )
    keys[: wide_keys.size] = wide_keys
    filled = int(wide_keys.size)
    codes_wide, owners_wide = codes_wide[~ascii_of_wide], owners_wide[~ascii_of_wide]
    del points_wide, wide_keys
    for first in range(0, string_count, _TRIGRAM_BATCH):
        last = min(first + _TRIGRAM_BATCH, string_count)
        low, high = int(starts[first]), int(starts[last]) - 1
        chunk = blob[low:high].astype(np.uint64)
        batch_owners = np.repeat(np.arange(first, last, dtype=np.uint64), lengths[first:last] + 1)[:-1]
        separators = chunk == ord(BLOB_SEPARATOR)
        before = np.empty_like(chunk)
        before[0] = ord(_TRIGRAM_PAD)
        before[1:] = chunk[:-1]
        before[1:][separators[:-1]] = ord(_TRIGRAM_PAD)
        after = np.empty_like(chunk)
        after[-1:] = ord(_TRIGRAM_PAD)
        after[:-1] = chunk[1:]
        after[:-1][separators[1:]] = ord(_TRIGRAM_PAD)
        centred = ~separators & ~wide[batch_owners.astype(np.int64)]
        batch = (
            (before[centred] << np.uint64(46))
            | (chunk[centred] << np.uint64(39))
            | (after[centred] << np.uint64(32))
        ) | batch_owners[centred]
        del before, after, chunk, batch_owners, separators, centred
        keys[filled : filled + batch.size] = batch
        filled += batch.size
    keys = keys[:filled]
    keys.sort()
    # A trigram twice in one string counts once (the string id is in the key).
    distinct = np.ones(keys.size, dtype=np.bool_)
    distinct[1:] = keys[1:] != keys[:-1]
    if sys.byteorder == "little":  # each key's two halves without a temporary array of keys
        halves = keys.view(np.uint32).reshape(-1, 2)  # [string id, trigram]
        ascii_owners, trigrams = halves[distinct, 0].astype(np.int64), halves[distinct, 1].astype(np.int64)
        del halves
    else:
        ascii_owners = (keys[distinct] & np.uint64(0xFFFFFFFF)).astype(np.int64)
        trigrams = (keys[distinct] >> np.uint64(32)).astype(np.int64)
    del keys, distinct
    ascii_codes = (((trigrams >> 14) & 127) * _CODE_BASE + ((trigrams >> 7) & 127)) * _CODE_BASE + (
        trigrams & 127
    )
    del trigrams
    # Merge the two sorted runs: each wide trigram goes before the first ASCII one with a larger code.
    total = ascii_codes.size + codes_wide.size
    is_wide = np.zeros(total, dtype=np.bool_)
    is_wide[np.searchsorted(ascii_codes, codes_wide) + np.arange(codes_wide.size)] = True
    codes = np.empty(total, dtype=np.int64)
    owners = np.empty(total, dtype=np.int32)
    codes[is_wide], owners[is_wide] = codes_wide, owners_wide
    codes[~is_wide], owners[~is_wide] = ascii_codes, ascii_owners
    del ascii_codes, ascii_owners, is_wide
    first_of_code = np.ones(total, dtype=np.bool_)
    first_of_code[1:] = codes[1:] != codes[:-1]
    code_starts = np.flatnonzero(first_of_code).astype(np.int64)
    return codes[first_of_code], np.append(code_starts, total).astype(np.int64), owners


def _wide_trigrams(texts: list[str], string_ids: IntArray) -> tuple[IntArray, IntArray]:
    """(code, string id) of every distinct trigram of each padded text, sorted (UTF-32 code points)."""
    if not texts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    padded = [pad_for_trigrams(text) for text in texts]
    lengths = np.fromiter(map(len, padded), dtype=np.int64, count=len(padded))
    points = np.frombuffer("".join(padded).encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(
        np.int64
    )
    string_of_point = np.repeat(string_ids.astype(np.int64), lengths)
    # A trigram belongs to a string when its three points do: drop those across a boundary.
    inside = np.repeat(np.arange(len(padded)), lengths)
    inside = inside[:-2] == inside[2:]
    codes = ((points[:-2] * _CODE_BASE + points[1:-1]) * _CODE_BASE + points[2:])[inside]
    owners = string_of_point[:-2][inside]
    order = np.lexsort((owners, codes))
    codes, owners = codes[order], owners[order]
    distinct = np.ones(codes.size, dtype=np.bool_)
    distinct[1:] = (codes[1:] != codes[:-1]) | (owners[1:] != owners[:-1])
    return codes[distinct], owners[distinct]


__all__ = [
    "ARRAY_STAGES",
    "LONG_WORD",
    "NO_CATEGORY",
    "DamagedIndexError",
    "IndexArrays",
    "PackedStrings",
    "build_arrays",
    "encoded",
    "forget_verified_files",
    "pad_for_trigrams",
    "trigram_codes_of",
    "word_key",
]
