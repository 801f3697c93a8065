"""`aidxl ingest` flags and the sources config: order, --kind/--revision binding, errors, lists."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from ingest.specs import DEFAULT_TAGGER_REPO, SourceSpec, load_sources_config
from kb.schema import TriggerKind
from tui.cli import build_parser, main

REPO_ROOT = Path(__file__).resolve().parents[1]


def specs_of(*argv: str) -> list[SourceSpec]:
    return list(build_parser().parse_args(["ingest", *argv]).source_specs)


def test_source_flags_keep_their_order_and_bind_kind_and_revision() -> None:
    assert specs_of(
        "--list",
        "a.txt",
        "--kind",
        "artist_style",
        "--tagger",
        "hub",
        "--revision",
        "v3",
        "--tagger",
        "hub:me/tags",
        "--list",
        "b.csv",
        "--vocab",
        "v.json",
    ) == [
        SourceSpec("list", path=Path("a.txt"), list_kind=TriggerKind.ARTIST_STYLE),
        SourceSpec("tagger", hub_repo=DEFAULT_TAGGER_REPO, revision="v3"),
        SourceSpec("tagger", hub_repo="me/tags"),
        SourceSpec("list", path=Path("b.csv")),
        SourceSpec("vocab", path=Path("v.json")),
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--kind", "general"], "--kind must follow the --list FILE it describes"),
        (["--list", "a.txt", "--kind", "style"], "--kind: unknown kind 'style'"),
        (["--tagger", "t.csv", "--revision", "v1"], "--revision must follow the --tagger hub"),
        (["--tagger", "hub:nope"], "--tagger hub:nope: expected hub:OWNER/NAME"),
    ],
)
def test_misplaced_or_bad_flags_are_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["ingest", *argv])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_the_shipped_sources_config_reads_every_registry_source_in_the_demo_data(shared_data: Path) -> None:
    """sources.toml = the registry's sources that ../shared/data holds, in registry (ingest) order."""
    from ingest.registry import registry

    shared = shared_data.resolve()
    expected = [
        (source.feeds, shared / source.file_name, source.list_kind)
        for source in registry()
        if (shared / source.file_name).is_file()
    ]
    assert [
        (spec.kind, spec.path.resolve() if spec.path else None, spec.list_kind)
        for spec in load_sources_config(REPO_ROOT / "sources.toml")
    ] == expected
    assert ("tagcomplete", shared / "danbooru.csv", None) in expected
    assert ("list", shared / "aidxl_triggers.fragments.csv", TriggerKind.ARTIST_STYLE) in expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[taggers]]\npath = "a"\n', "unknown section(s) taggers"),
        ('[[tagger]]\npath = "a"\nhub = "b/c"\n', "[[tagger]] #1: give either `path` or `hub`, not both"),
        ('[[list]]\npath = "a"\nkind = "x"\n', "[[list]] #1: unknown kind 'x'"),
        ('[[vocab]]\nfile = "a"\n', "[[vocab]] #1: unknown key(s) file"),
        ("[[vocab]\n", "not valid TOML"),
    ],
)
def test_bad_config_files(
    tmp_path: Path, text: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "sources.toml"
    config.write_text(text)
    assert main(["ingest", "--catalog", str(tmp_path / "c.duckdb"), "--config", str(config)]) == 2
    assert message in capsys.readouterr().err


def test_config_paths_are_relative_to_the_config_and_flags_add_sources(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "tags.csv").write_text("tag_id,name,category,count\n1,long_hair,0,5\n")
    (tmp_path / "data" / "styles.txt").write_text("# my styles\nby someone\n\nby ask\n")
    (tmp_path / "more.csv").write_text("trigger,kind,description\nmy painting,painting_style,Soft.\n")
    (tmp_path / "sources.toml").write_text('[[tagger]]\npath = "data/tags.csv"\n')
    catalog = tmp_path / "catalog.duckdb"
    assert (
        main(
            [
                "ingest",
                "--catalog",
                str(catalog),
                "--config",
                str(tmp_path / "sources.toml"),
                "--list",
                str(tmp_path / "data" / "styles.txt"),
                "--kind",
                "artist_style",
                "--list",
                str(tmp_path / "more.csv"),
            ]
        )
        == 0
    )
    with duckdb.connect(str(catalog), read_only=True) as connection:
        listed = connection.execute(
            "SELECT tr.text, tr.kind, tr.description, s.file_name "
            "FROM triggers tr JOIN sources s USING (source_id) "
            "WHERE s.kind = 'list' ORDER BY tr.text"
        ).fetchall()
        by_ask_source = connection.execute("SELECT note FROM triggers WHERE text = 'by ask'").fetchall()
    assert listed == [
        ("by someone", "artist_style", None, "styles.txt"),
        ("my painting", "painting_style", "Soft.", "more.csv"),
    ]
    # `by ask` is also curated: one trigger, the curated one first.
    assert by_ask_source == [("AIDXL model card, style merging example; Danbooru artist ask_(askzy)",)]


def test_same_source_twice_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tags = tmp_path / "tags.csv"
    tags.write_text("tag_id,name,category,count\n1,long_hair,0,5\n")
    assert (
        main(
            ["ingest", "--catalog", str(tmp_path / "c.duckdb"), "--tagger", str(tags), "--tagger", str(tags)]
        )
        == 2
    )
    assert f"{tags}: given twice as a tagger source" in capsys.readouterr().err


def test_catalog_location_flag_beats_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tags = tmp_path / "tags.csv"
    tags.write_text("tag_id,name,category,count\n1,long_hair,0,5\n")
    monkeypatch.setenv("AIDXL_CATALOG", str(tmp_path / "from_env.duckdb"))
    assert main(["ingest", "--tagger", str(tags)]) == 0
    assert (tmp_path / "from_env.duckdb").is_file()
    assert main(["ingest", "--catalog", str(tmp_path / "from_flag.duckdb"), "--tagger", str(tags)]) == 0
    assert (tmp_path / "from_flag.duckdb").is_file()
    capsys.readouterr()
    assert main(["stats", "--json"]) == 0
    assert f'"catalog": "{tmp_path / "from_env.duckdb"}"' in capsys.readouterr().out


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["ingest", "--help"], ["stats", "--help"]):
        with pytest.raises(SystemExit) as exit_info:
            main(command)
        assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--skip-bad" in out and "--json" in out


def test_no_sources_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", "--catalog", str(tmp_path / "c.duckdb")]) == 2
    assert capsys.readouterr().err == (
        "aidxl: no sources: give --config FILE (e.g. sources.toml) or --tagger / --tagcomplete / --vocab / "
        "--list / --implications / --priorities / --aliases / --chants / --triggers\n"
    )


def test_stats_count_triggers_per_tier(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from test_search import write_small_catalog

    catalog = write_small_catalog(tmp_path / "tiered.duckdb", tiered=True)
    assert main(["stats", "--json", "--catalog", str(catalog)]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["triggers_per_tier"] == {"verified": 5, "author": 4, "danbooru": 24}
    assert stats["triggers_per_kind_and_tier"]["character"] == {"verified": 0, "author": 3, "danbooru": 9}
    assert stats["triggers_per_kind_and_tier"]["artist_style"] == {"verified": 2, "author": 1, "danbooru": 1}
    assert sum(stats["triggers_per_tier"].values()) == sum(stats["triggers_per_kind"].values())
    assert main(["stats", "--catalog", str(catalog)]) == 0
    table = capsys.readouterr().out.split("each verified trigger is an entry of its own):\n")[1]
    rows = table.split("\n\n")[0].splitlines()
    assert rows[0].split() == ["kind", "entries", "triggers", "verified", "author", "danbooru"]
    assert rows[1].split()[0] == "artist_style" and rows[1].split()[2:] == ["4", "2", "1", "1"]
    assert rows[-1].split()[2:] == ["33", "5", "4", "24"]
