"""The readers of the author's caption tables and of chants: good shapes, every bad shape with its
`path:line: reason`, the JSON rules they share, and the real files' exact counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.aliasfile import read_aliases_file
from ingest.chants import read_chants_file
from ingest.implications import read_implications_file
from ingest.jsondoc import read_json_source, scalar_lines_of
from ingest.priorities import read_priorities_file
from ingest.problems import SourceFileError
from kb.knowledge.caption_groups import CharacterGender


def write(tmp_path: Path, text: str, name: str = "table.json") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def problems_of(rows: object) -> list[str]:
    return [str(problem) for problem in getattr(rows, "problems")]  # noqa: B009


def file_problems(read: object, path: Path) -> list[str]:
    with pytest.raises(SourceFileError) as error:
        read(path)  # type: ignore[operator]
    return [str(problem) for problem in error.value.problems]


# --- Shared JSON rules --------------------------------------------------------------------------


def test_scalar_lines_follow_the_file_order_of_every_key_and_value() -> None:
    data = b'{"a\\"b": [1, -2.5e-3,\n true, false, null],\n "c\\\\": "x\\\\\\"y",\n"d": -Infinity}'
    # -Infinity is not JSON, but the line finder only needs scalars in order.
    assert scalar_lines_of(data) == [1, 1, 1, 2, 2, 2, 3, 3, 4, 4]
    assert scalar_lines_of(b'{"k":\r\n [\r\n 1e5 ,\r\n"v"]}') == [1, 3, 4]
    assert scalar_lines_of(b"7") == [1]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            b"\xef\xbb\xbf{}",
            "{path}:1: starts with a UTF-8 byte-order mark (BOM); save the file as UTF-8 without BOM",
        ),
        (b'{\n"a": "caf\xe9"}', "{path}:2: not UTF-8 (byte 10 of the line: e9)"),
        (b'{\n  "a": [1,]\n}', "{path}:2: not valid JSON: Expecting value"),
        (b'{\n  "a": NaN\n}', "{path}:2: not valid JSON: NaN is not a JSON value"),
        (b"", "{path}: file is empty"),
    ],
)
def test_json_file_problems(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    assert file_problems(read_json_source, path) == [expected.format(path=path)]


def test_json_accepts_crlf_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "crlf.json"
    path.write_bytes(b'{\r\n  "long_hair": [\r\n    "hair"\r\n  ]\r\n}\r\n')
    rows = read_implications_file(path)
    assert (rows.tags, rows.implied, rows.problems) == (["long_hair"], ["hair"], [])


# --- Implications -------------------------------------------------------------------------------


def test_implications_good_file(tmp_path: Path) -> None:
    path = write(
        tmp_path, '{\n  "very_long_hair": ["long_hair"],\n  "holding_sword": ["holding", "sword"]\n}\n'
    )
    rows = read_implications_file(path)
    assert len(rows) == 2
    assert list(zip(rows.tags, rows.implied, strict=True)) == [
        ("very_long_hair", "long_hair"),
        ("holding_sword", "holding"),
        ("holding_sword", "sword"),
    ]
    assert rows.problems == []


def test_implications_bad_shapes(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "{\n"
        '  "a": "b",\n'  # 2: not a list
        '  "bad name": ["x"],\n'  # 3: whitespace in the tag
        '  "c": [\n'
        '    "c",\n'  # 5: implies itself
        '    "d",\n'
        '    "d",\n'  # 7: listed twice
        "    7,\n"  # 8: not a string
        '    ""\n'  # 9: empty
        "  ],\n"
        '  "e": [],\n'  # 11: empty list
        '  "f": ["g"],\n'  # 12: repeated tag
        '  "f": ["h"]\n'  # 13
        "}\n",
    )
    rows = read_implications_file(path)
    assert problems_of(rows) == [
        f"{path}:2: 'a': expected a list of implied tags, found a string 'b'",
        f"{path}:3: tag 'bad name' contains whitespace (Danbooru names use underscores)",
        f"{path}:5: 'c' implies itself",
        f"{path}:7: 'c': implied tag 'd' listed twice",
        f"{path}:8: 'c': expected an implied tag name, found the number 7",
        f"{path}:9: empty implied tag",
        f"{path}:11: 'e' implies nothing (an empty list)",
        f"{path}:12: tag 'f' occurs 2 times (lines 12, 13)",
        f"{path}:13: tag 'f' occurs 2 times (lines 12, 13)",
    ]
    # The good pair of `c` stays (for --skip-bad); `c` counts as a row.
    assert (rows.tags, rows.implied, len(rows)) == (["c"], ["d"], 1)


@pytest.mark.parametrize(
    ("read", "text", "expected"),
    [
        (
            read_implications_file,
            '["a"]',
            "{path}:1: expected a JSON object of tag -> [implied tags], found a list",
        ),
        (read_aliases_file, '"a"', "{path}:1: expected a JSON object of alias -> tag, found a string 'a'"),
        (read_priorities_file, "{}", "{path}: no entries (an empty object; expected tag -> group index)"),
    ],
)
def test_table_files_must_be_objects(tmp_path: Path, read: object, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    assert file_problems(read, path) == [expected.format(path=path)]


# --- Aliases ------------------------------------------------------------------------------------


def test_aliases_good_and_bad(tmp_path: Path) -> None:
    good = write(tmp_path, '{\n  "fdsanr18": "fd_(fd_sanmaru)",\n  "mossi": "modare"\n}\n', "good.json")
    rows = read_aliases_file(good)
    assert (rows.aliases, rows.tags, rows.problems) == (
        ["fdsanr18", "mossi"],
        ["fd_(fd_sanmaru)", "modare"],
        [],
    )
    bad = write(
        tmp_path,
        "{\n"
        '  "a": "a",\n'
        '  "b": ["x"],\n'
        '  "c d": "e",\n'
        '  "f": "g h",\n'
        '  "": "i",\n'
        '  "j": "k",\n'
        '  "j": "k"\n'
        "}\n",
        "bad.json",
    )
    rows = read_aliases_file(bad)
    assert problems_of(rows) == [
        f"{bad}:2: alias 'a' points at itself",
        f"{bad}:3: alias 'b': expected a tag name, found a list",
        f"{bad}:4: alias 'c d' contains whitespace (Danbooru names use underscores)",
        f"{bad}:5: tag 'g h' contains whitespace (Danbooru names use underscores)",
        f"{bad}:6: empty alias",
        f"{bad}:7: alias 'j' occurs 2 times (lines 7, 8)",
        f"{bad}:8: alias 'j' occurs 2 times (lines 7, 8)",
    ]
    assert len(rows) == 0


# --- Priorities ---------------------------------------------------------------------------------


def test_priorities_good_and_bad(tmp_path: Path) -> None:
    good = write(tmp_path, '{\n  "1girl": 1,\n  "white_hair": 20,\n  "comic": 39\n}\n', "good.json")
    rows = read_priorities_file(good)
    assert (rows.tags, rows.group_indexes, rows.problems) == (
        ["1girl", "white_hair", "comic"],
        [1, 20, 39],
        [],
    )
    bad = write(
        tmp_path,
        '{\n  "a": -1,\n  "b": 2.0,\n  "c": "3",\n  "d": true,\n  "e": null,\n  "f g": 4,\n  "h": 0\n}\n',
        "bad.json",
    )
    rows = read_priorities_file(bad)
    assert problems_of(rows) == [
        f"{bad}:2: tag 'a': the group index must be a non-negative integer, found the number -1",
        f"{bad}:3: tag 'b': the group index must be a non-negative integer, found the number 2.0",
        f"{bad}:4: tag 'c': the group index must be a non-negative integer, found a string '3'",
        f"{bad}:5: tag 'd': the group index must be a non-negative integer, found true",
        f"{bad}:6: tag 'e': the group index must be a non-negative integer, found null",
        f"{bad}:7: tag 'f g' contains whitespace (Danbooru names use underscores)",
    ]
    assert (rows.tags, rows.group_indexes) == (["h"], [0])


# --- Chants -------------------------------------------------------------------------------------

CHANT = (
    '\t{{\r\n\t\t"name": "{name}",\r\n\t\t"terms": "{terms}",\r\n'
    '\t\t"content": "{content}",\r\n\t\t"color": 4\r\n\t}}'
)


def chants_file(tmp_path: Path, *chants: str) -> Path:
    path = tmp_path / "chants.json"
    path.write_bytes(("[\r\n" + ",\r\n".join(chants) + "\r\n]\r\n").encode())
    return path


def chant(name: str, content: str, terms: str = "Character") -> str:
    return CHANT.format(name=name, terms=terms, content=content)


def test_chants_read_gender_and_core_tags_and_skip_presets(tmp_path: Path) -> None:
    path = chants_file(
        tmp_path,
        chant("Basic-HighQuality", "(masterpiece, best quality)", "Basic,Best,High,Quality"),
        chant(
            "2b_(nier:automata)",
            "2b_(nier:automata),1girl, mole under mouth, white hair, white hair, black blindfold",
        ),
        chant("glaceon", "glaceon,no humans, 1girl, blue eyes"),
        chant("kirby", "kirby,no humans, blue eyes"),
        chant("zhongli_(genshin_impact)", "zhongli_(genshin_impact),1boy, vision \\\\(genshin impact\\\\)"),
    )
    rows = read_chants_file(path)
    assert rows.problems == []
    assert (len(rows), rows.presets) == (4, 1)
    assert [(c.line, c.name, c.gender, c.core_tags) for c in rows.chants] == [
        (
            9,
            "2b_(nier:automata)",
            CharacterGender.GIRL,
            ("mole_under_mouth", "white_hair", "black_blindfold"),
        ),
        (15, "glaceon", CharacterGender.GIRL, ("no_humans", "blue_eyes")),
        (21, "kirby", None, ("no_humans", "blue_eyes")),
        (27, "zhongli_(genshin_impact)", CharacterGender.BOY, ("vision_(genshin_impact)",)),
    ]


def test_chants_bad_shapes(tmp_path: Path) -> None:
    path = chants_file(
        tmp_path,
        chant("a", "a,1girl, ,red eyes,"),  # content on line 5: empty tags
        chant("b", "c,1girl"),  # 11: content starts with another name
        chant("d", "d,1girl, 1boy"),  # 17: two genders
        chant("e e", "e e,1girl"),  # name on 21: name with whitespace
        chant("f", "f,1girl, red  eyes"),  # 29: double space
        '\t{\r\n\t\t"name": "g",\r\n\t\t"terms": "Character",\r\n'
        '\t\t"content": 5,\r\n\t\t"colour": "x"\r\n\t}',
        "\t[]",  # 38: no scalar, no line
        chant("h", "h,1girl"),  # 40
        chant("h", "h,1boy"),  # 46
    )
    rows = read_chants_file(path)
    assert problems_of(rows) == [
        f"{path}: chant 7: expected an object {{name, terms, content, color}}, found a list",
        f"{path}:5: chant 1 (a): empty tag at position 3 of the content; "
        "empty tag at position 5 of the content",
        f"{path}:11: chant 2 (b): content starts with 'c', not the chant's name 'b'",
        f"{path}:17: chant 3 (d): several genders (girl, boy)",
        f"{path}:21: chant 4: character tag 'e e' contains whitespace (Danbooru names use underscores)",
        f"{path}:29: chant 5 (f): tag 'red  eyes' contains a tab, newline or double space",
        f"{path}:33: chant 6: unknown key(s) colour (expected name, terms, content, color); "
        "missing key(s) color; `content` must be a string, found the number 5",
        f"{path}:40: character 'h' has 2 chants (lines 40, 46)",
        f"{path}:46: character 'h' has 2 chants (lines 40, 46)",
    ]
    assert rows.chants == []


def test_chants_file_must_be_a_list(tmp_path: Path) -> None:
    path = write(tmp_path, '{"name": "a"}', "chants.json")
    assert file_problems(read_chants_file, path) == [
        f"{path}:1: expected a JSON list of chants {{name, terms, content, color}}, found an object"
    ]


# --- The real files -----------------------------------------------------------------------------


def test_real_tables_read_without_problems(shared_data: Path) -> None:
    implications = read_implications_file(shared_data / "waifuset.tag_implications.json")
    assert (len(implications), len(implications.tags), implications.problems) == (4948, 7242, [])
    pairs = set(zip(implications.tags, implications.implied, strict=True))
    assert ("very_long_hair", "long_hair") in pairs
    assert ("holding_sword", "holding_weapon") in pairs
    aliases = read_aliases_file(shared_data / "waifuset.tag_aliases.json")
    assert (len(aliases), aliases.problems) == (19941, [])
    assert dict(zip(aliases.aliases, aliases.tags, strict=True))["fdsanr18"] == "fd_(fd_sanmaru)"
    priorities = read_priorities_file(shared_data / "waifuset.tag_priorities.json")
    assert (len(priorities), priorities.problems) == (17077, [])
    group_of = dict(zip(priorities.tags, priorities.group_indexes, strict=True))
    assert (group_of["1girl"], group_of["solo"], group_of["white_hair"], group_of["comic"]) == (1, 5, 20, 39)


def test_real_chants_read_without_problems(shared_data: Path) -> None:
    rows = read_chants_file(shared_data / "tagcomplete.noob_characters-chants.json")
    assert (len(rows), rows.presets, rows.problems) == (1344, 7, [])
    genders = [chant.gender for chant in rows.chants]
    assert (genders.count(CharacterGender.GIRL), genders.count(CharacterGender.BOY)) == (1170, 154)
    assert (genders.count(CharacterGender.OTHER), genders.count(None)) == (2, 18)
    two_b = next(chant for chant in rows.chants if chant.name == "2b_(nier:automata)")
    assert two_b.core_tags[:3] == ("mole_under_mouth", "short_hair", "white_hair")
    assert two_b.core_tags[-1] == "black_blindfold"
