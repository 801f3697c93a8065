"""The saved search index file: per-array checksums, damaged files rebuilt, and the numpy build
checked against plain-Python references (suffix order, word starts, trigrams, normal forms)."""

from __future__ import annotations

import json
import os
import random
import struct
from pathlib import Path

import numpy as np
import pytest
import xxhash
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.catalog import open_catalog
from kb.knowledge.tagforms import EMOTICON_TAGS
from kb.search import SearchIndex
from kb.search.arrays import (
    FILE_MAGIC,
    INDEX_FORMAT_VERSION,
    DamagedIndexError,
    IndexArrays,
    _build_trigrams,
    _byte_order,
    _word_start_suffixes,
    build_arrays,
    forget_verified_files,
    pack_strings,
    pad_for_trigrams,
    trigram_codes_of,
)
from kb.search.normalize import loosen, normalize, searchable_forms, word_starts
from kb.search.persist import index_file
from kb.search.rows import CatalogRows, StringSource, read_catalog_rows
from tests.test_search import write_small_catalog

QUERIES = ("hat", "detco", "hatsne miku", "lucyna", "mpast", "^_^", "miku hatsune", "ganyu genshin")


@pytest.fixture(scope="module")
def small_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_small_catalog(tmp_path_factory.mktemp("index-file") / "catalog.duckdb", tiered=True)


def answers(index: SearchIndex) -> list[list[tuple[str, str, float]]]:
    return [[(hit.prompt, str(hit.match), hit.score) for hit in index.search(query)] for query in QUERIES]


def array_spans(path: Path) -> dict[str, tuple[int, int]]:
    """Each array's (start, byte length) in the saved file, from its header."""
    data = path.read_bytes()
    (header_length,) = struct.unpack_from("<Q", data, len(FILE_MAGIC))
    data_start = len(FILE_MAGIC) + 8 + header_length
    header = json.loads(data[len(FILE_MAGIC) + 8 : data_start])
    return {
        name: (data_start + offset, int(np.prod(shape)) * np.dtype(dtype).itemsize)
        for name, dtype, shape, offset, _ in header["arrays"]
    }


def rewrite(path: Path, change: object) -> None:
    """Change the file in place as another program would, and move its mtime on (a write within the
    same clock tick as the save would keep it: the file's identity must change for this process)."""
    assert callable(change)
    before = path.stat()
    change()
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))


def load_reporting(small_catalog: Path, capsys: pytest.CaptureFixture[str]) -> tuple[SearchIndex, str]:
    connection = open_catalog(small_catalog)
    try:
        index = SearchIndex.load(connection, usage={})
    finally:
        connection.close()
    return index, capsys.readouterr().err


@pytest.fixture
def saved(
    small_catalog: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[Path, list[list[tuple[str, str, float]]]]:
    """The small catalog's index, saved in this test's cache, and its answers to QUERIES."""
    index, message = load_reporting(small_catalog, capsys)
    assert message == ""
    connection = open_catalog(small_catalog)
    try:
        path = index_file(connection)
    finally:
        connection.close()
    return path, answers(index)


@pytest.mark.slow  # 24 rebuilds of the small index: seconds
def test_every_damaged_array_is_detected_and_rebuilt(
    small_catalog: Path,
    saved: tuple[Path, list[list[tuple[str, str, float]]]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, expected = saved
    spans = array_spans(path)
    assert set(spans) == {name for name in IndexArrays.__dataclass_fields__}
    damaged = 0
    for name, (start, length) in spans.items():
        if length == 0:
            continue
        # 64 bytes of 0xFF in the middle of the array (or all of it when shorter).
        at = start + max(0, length // 2 - 32)
        size = min(64, length)

        def overwrite(at: int = at, size: int = size) -> None:
            with path.open("r+b") as handle:
                handle.seek(at)
                handle.write(b"\xff" * size)

        rewrite(path, overwrite)
        with pytest.raises(DamagedIndexError, match=f"array '{name}' does not match its checksum"):
            IndexArrays.open(path)
        index, message = load_reporting(small_catalog, capsys)
        assert (
            message
            == f"aidxl: search index {path}: array '{name}' does not match its checksum; rebuilding it\n"
        )
        assert answers(index) == expected, name
        # Rebuilt and replaced: the next load takes the file as it is, silently.
        assert IndexArrays.open(path) is not None
        assert answers(load_reporting(small_catalog, capsys)[0]) == expected
        assert capsys.readouterr().err == ""
        damaged += 1
    assert damaged >= len(spans) - 2


@pytest.mark.parametrize("keep", ["nothing", "magic", "header", "half", "all but one byte"])
def test_a_truncated_file_is_rebuilt(
    small_catalog: Path,
    saved: tuple[Path, list[list[tuple[str, str, float]]]],
    capsys: pytest.CaptureFixture[str],
    keep: str,
) -> None:
    path, expected = saved
    size = path.stat().st_size
    first_array = min(start for start, _ in array_spans(path).values())
    length = {
        "nothing": 0,
        "magic": 4,
        "header": first_array - 10,
        "half": size // 2,
        "all but one byte": size - 1,
    }
    rewrite(path, lambda: os.truncate(path, length[keep]))
    index, message = load_reporting(small_catalog, capsys)
    assert message.startswith(f"aidxl: search index {path}: ")
    assert message.endswith("; rebuilding it\n") and message.count("\n") == 1
    assert answers(index) == expected
    assert path.stat().st_size == size


def test_a_damaged_header_is_rebuilt(
    small_catalog: Path,
    saved: tuple[Path, list[list[tuple[str, str, float]]]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, expected = saved
    data = path.read_bytes()
    # An array's dtype changed to another of the same size: its bytes still match their digest,
    # the header does not.
    at = data.index(b'"<i8"')
    rewrite(path, lambda: path.write_bytes(data[:at] + b'"<u8"' + data[at + 5 :]))
    index, message = load_reporting(small_catalog, capsys)
    assert message == f"aidxl: search index {path}: header does not match its digest; rebuilding it\n"
    assert answers(index) == expected
    rewrite(path, lambda: path.write_bytes(b"garbage" * 100))
    index, message = load_reporting(small_catalog, capsys)
    assert message == f"aidxl: search index {path}: not a search index (wrong magic bytes); rebuilding it\n"
    assert answers(index) == expected


def test_another_format_version_is_rebuilt_silently(
    small_catalog: Path,
    saved: tuple[Path, list[list[tuple[str, str, float]]]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, expected = saved
    data = path.read_bytes()
    old = f'"format_version": {INDEX_FORMAT_VERSION}'.encode()
    rewrite(path, lambda: path.write_bytes(data.replace(old, b'"format_version": 6', 1)))
    assert IndexArrays.open(path) is None
    index, message = load_reporting(small_catalog, capsys)
    assert message == ""
    assert answers(index) == expected
    assert IndexArrays.open(path) is not None


def test_checksums_are_verified_once_per_file_identity(
    saved: tuple[Path, list[list[tuple[str, str, float]]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = saved
    digests: list[int] = []
    real = xxhash.xxh3_128_hexdigest

    def counting(data: memoryview) -> str:
        digests.append(len(data))
        return str(real(data))

    monkeypatch.setattr(xxhash, "xxh3_128_hexdigest", counting)
    forget_verified_files()
    assert IndexArrays.open(path) is not None
    verified = len(digests)
    assert verified >= len(array_spans(path)) + 1  # every array and the header
    assert IndexArrays.open(path) is not None
    assert len(digests) == verified + 1  # the header's digest only: its bytes are read anyway
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1))  # touched: verified again
    assert IndexArrays.open(path) is not None
    assert len(digests) > 2 * verified


# ----- the numpy build against plain-Python references ---------------------------------------------


def test_byte_order_is_sorted_order_with_long_shared_prefixes() -> None:
    rng = random.Random(5)
    stems = [bytes(rng.choice(b"ab\x00\x7f\xc3\xff ") for _ in range(rng.randint(0, 70))) for _ in range(40)]
    texts = [
        rng.choice(stems)[: rng.randint(0, 70)]
        + bytes(rng.choice(b"ab\x00") for _ in range(rng.randint(0, 3)))
        for _ in range(3000)
    ]
    blob = np.frombuffer(b"".join(texts), dtype=np.uint8)
    ends = np.cumsum([len(text) for text in texts]).astype(np.int64)
    starts = ends - np.array([len(text) for text in texts], dtype=np.int64)
    order = _byte_order(blob, starts, ends).tolist()
    assert order == sorted(range(len(texts)), key=lambda index: (texts[index], index))


@given(st.lists(st.text(alphabet="ab 0(é)-:_\\\U0001f600", min_size=1, max_size=30), min_size=1, max_size=30))
@settings(max_examples=200, deadline=None)
def test_suffixes_and_trigrams_match_the_python_definitions(texts: list[str]) -> None:
    looses = [loose for loose in (loosen(normalize(text)) for text in texts) if loose]
    if not looses:
        return
    blob, starts = pack_strings(looses)
    suffixes = _word_start_suffixes(blob, starts)
    expected = sorted(
        (loose[offset:].encode("utf-8"), string_id, offset)
        for string_id, loose in enumerate(looses)
        for offset in word_starts(loose)
    )
    found = [
        (bytes(blob[start : starts[string_id + 1] - 1]), string_id)
        for start, string_id in zip(suffixes.starts.tolist(), suffixes.strings.tolist(), strict=True)
    ]
    assert found == [(key, string_id) for key, string_id, _ in expected]
    assert (suffixes.offsets == 0).tolist() == [offset == 0 for _, _, offset in expected]
    codes, code_starts, owners = _build_trigrams(blob, starts, looses)
    postings = {
        int(code): owners[code_starts[slot] : code_starts[slot + 1]].tolist()
        for slot, code in enumerate(codes)
    }
    reference: dict[int, set[int]] = {}
    for string_id, loose in enumerate(looses):
        for code in trigram_codes_of(pad_for_trigrams(loose)):
            reference.setdefault(code, set()).add(string_id)
    assert postings == {code: sorted(ids) for code, ids in sorted(reference.items())}
    assert codes.tolist() == sorted(reference)


@given(st.lists(st.text(alphabet="ab z09_ ()-\\:^>O'é\t", max_size=14), max_size=40))
@settings(max_examples=300, deadline=None)
def test_searchable_forms_are_normalize_and_loosen(texts: list[str]) -> None:
    texts = texts + sorted(EMOTICON_TAGS) + ["ganyu_(genshin_impact)", "a (b)", "o_o_(x)", "A_(b)"]
    normals, looses = searchable_forms(texts)
    assert normals == [normalize(text) for text in texts]
    assert looses == [loosen(normalize(text)) for text in texts]


def test_string_grouping_by_hash_equals_the_exact_grouping(small_catalog: Path) -> None:
    connection = open_catalog(small_catalog)
    try:
        rows = read_catalog_rows(connection)
    finally:
        connection.close()
    by_hash = rows.searchable_strings()
    normals, looses = searchable_forms(rows.string_texts)
    exact = rows._searchable_strings_by_dict(normals, looses)
    assert by_hash.normals == exact.normals and by_hash.looses == exact.looses
    assert by_hash.entries.tolist() == exact.entries.tolist()
    assert by_hash.sources.tolist() == exact.sources.tolist()


def small_index(texts: list[str]) -> SearchIndex:
    """An index of general tags with these texts (post counts falling in order), no catalog file."""
    rows = CatalogRows()
    for rank, text in enumerate(texts):
        entry = rows.add_entry(text, text.replace(" ", "_"), "general", 0, 1000 - rank, 2)
        rows.add_string(entry, text, StringSource.TRIGGER)
    return SearchIndex(build_arrays(rows), usage={})


def test_abbreviations_read_in_the_bytes_and_past_a_long_first_word() -> None:
    long_word = "x" * 300  # longer than suffix_word_length can say: checked as text
    index = small_index(["detached collar", "detached sleeves", f"{long_word} collar", "dete"])
    assert [hit.prompt for hit in index.search("detco")] == ["detached collar"]
    assert [(hit.prompt, str(hit.match)) for hit in index.search("xxxco")] == [
        (f"{long_word} collar", "abbreviation")
    ]


def test_usage_reorders_a_prefix_range_and_is_forgotten() -> None:
    index = small_index(["panties", "pantyhose", "pants"])
    assert [hit.prompt for hit in index.search("pan")] == ["panties", "pantyhose", "pants"]
    index.set_usage({"pants": 10**6})
    assert [hit.prompt for hit in index.search("pan")] == ["pants", "panties", "pantyhose"]
    index.set_usage({})
    assert [hit.prompt for hit in index.search("pan")] == ["panties", "pantyhose", "pants"]


def test_fuzzy_candidates_from_rare_trigrams_are_those_of_counting_all(small_catalog: Path) -> None:
    connection = open_catalog(small_catalog)
    try:
        index = SearchIndex.build(connection, usage={})
    finally:
        connection.close()
    arrays = index.arrays
    checked = 0
    for query in (
        "hatsne miku",
        "detached sleevse",
        "lucyna kushinda",
        "ganyu genshin impakt",
        "zzzz qqqq xxxx",
    ):
        codes = np.array(sorted(set(trigram_codes_of(pad_for_trigrams(query)))), dtype=np.int64)
        slots = np.searchsorted(arrays.trigram_codes, codes).tolist()
        size = arrays.trigram_codes.size
        found = [
            slot
            for slot, code in zip(slots, codes.tolist(), strict=True)
            if slot < size and arrays.trigram_codes[slot] == code
        ]
        postings = [
            arrays.trigram_strings[arrays.trigram_starts[s] : arrays.trigram_starts[s + 1]] for s in found
        ]
        close = index._closest_by_rare_trigrams(postings, codes.size) if postings else None
        if close is None:
            continue
        shared = np.bincount(np.concatenate(postings), minlength=len(index.string_looses))
        most = int(shared.max())
        floor = max(1, min(most, codes.size - 6), most - 3)
        expected = np.flatnonzero(shared >= floor)
        assert close[0].tolist() == expected.tolist(), query
        assert close[1].tolist() == shared[expected].tolist(), query
        checked += 1
    assert checked >= 3
