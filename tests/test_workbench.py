"""kb.workbench: lossless import (prompt, infotext, PNG), fixes that keep meaning, undo/redo, one settings."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prompt_fixture import build_tiny_catalog

from kb.catalog import open_catalog
from kb.errors import PromptSyntaxError
from kb.prompt.assemble import assemble_prompt
from kb.prompt.attention import attention_pieces, parse_prompt_attention
from kb.prompt.segments import attention_vector, split_segments
from kb.settings import GenerationSettings
from kb.workbench.draft import DraftEntry, PromptDraft
from kb.workbench.fixes import apply_fix
from kb.workbench.history import History
from kb.workbench.importing import (
    PromptImportError,
    entries_prompt,
    import_image,
    import_prompt,
    import_source,
    pasted_png_path,
    prompt_entries,
)
from kb.workbench.linting import lint_context
from kb.workbench.rendering import render_draft
from tui.cli import main

# Held out from the generator below: prompts as users paste them, every construct.
MESSY_PROMPTS = [
    "(by ask:1.2, white_dress, <lora:ganyu_v2:0.8>",
    ":(, smile, blue eyes, (long hair:1.2)",
    "1girl, :(, crying, :), [sad], ((tears)), (((house:1.3))",
    "[cat|dog], [day:night:0.5], [x], ((smile)), [[frown]]",
    "ganyu (genshin impact), bishop \\(chess\\), \\m/, ^_^, ;_;",
    "a girl BREAK (b, c:1.3), [d:e:10] BREAK BREAK f",
    "cat AND dog:0.5 AND (bird:1.2)",
    "(masterpiece:1.2), best_quality, score_9, (by chi4:0.8), (by yoneyama mai), [by ask]",
    "((a), b:1.2), (c (d)), [e, (f], g)",
    "(a:1.2.3), (b: 1.5 ), (c:.5), (d:+1.25), <lyco:x_y:0.7:0.5>, <hypernet:z:1>",
    "long_hair,,  ,\n very_long_hair ,\t(red eyes:0.9),[blue:red:0.25]",
    "\\(escaped\\), \\[sq\\], back\\\\slash, (x\\), y)",
    "[ [a] : (b) : 0.5 ], [a|[b|c]], [(a):b:1], [a:(b:1.2):3]",
    "1girl, solo, (white dress:1.1), [smile:laughing:0.4], (detailed:1.2) BREAK (amazing quality:1.3)",
]


def vector_of(prompt: str) -> object:
    return attention_vector(prompt)


@pytest.mark.parametrize("prompt", MESSY_PROMPTS)
def test_import_keeps_what_the_web_ui_reads(prompt: str) -> None:
    imported = import_prompt(prompt)
    assert attention_vector(imported.positive) == attention_vector(prompt)
    try:
        parse_prompt_attention(prompt)
    except PromptSyntaxError:
        return
    parse_prompt_attention(imported.positive)  # never invalid where the input was valid


def test_import_cli_json_on_the_held_out_prompts(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for prompt in MESSY_PROMPTS:
        assert main(["prompt", "import", "--catalog", str(tmp_path / "none.duckdb"), "--json", prompt]) == 0
        document = json.loads(capsys.readouterr().out)
        assert attention_vector(document["positive"]) == attention_vector(prompt), prompt
        assert document["source"] == "prompt"
        assert [entry["prompt"] for entry in document["entries"]]


def test_the_issues_examples() -> None:
    # the unclosed `(` weights the rest as the web UI does; the network's name keeps its underscore
    imported = import_prompt("(by ask:1.2, white_dress, <lora:ganyu_v2:0.8>")
    assert imported.positive == "(by ask:1.2, white_dress, <lora:ganyu_v2:0.8>"
    assert [(entry.text, entry.kind) for entry in imported.entries] == [
        ("(by ask:1.2", "syntax"),
        ("white_dress", "unknown"),
        ("<lora:ganyu_v2:0.8>", "syntax"),
    ]
    codes = {(finding.code, finding.fix) for finding in imported.findings}
    assert ("unclosed-bracket", "\\(") in codes
    assert ("underscore", "white dress") in codes
    assert not any("lora:ganyu v2" in str(fix) for _, fix in codes)
    # a frown is an entry of its own, its trap a finding
    frown = import_prompt(":(, smile")
    assert frown.positive == ":(, smile"
    assert [finding.code for finding in frown.findings][:1] == ["emoticon-open-bracket"]
    # written brackets are kept: exactly 1/1.1 and 1.1·1.1, not 0.91 and 1.21
    exact = import_prompt("[x], ((y)), (z:1.25)")
    assert exact.positive == "[x], ((y)), (z:1.25)"
    assert [entry.weight for entry in exact.entries] == [1 / 1.1, 1.1 * 1.1, 1.25]
    # shared brackets become one entry per tag, same floats
    shared = import_prompt("((a), b:1.2)")
    assert shared.positive == "((a):1.2), (b:1.2)"


def test_repeats_and_order_are_kept() -> None:
    imported = import_prompt("smile, 1girl, smile")
    assert imported.positive == "smile, 1girl, smile"
    assert "duplicate-tag" in [finding.code for finding in imported.findings]


# ------------------------------------------------------------------ property

_WORDS = st.sampled_from(
    ["cat", "long_hair", "blue eyes", "by ask", ":(", ":)", "^_^", "\\m/", "a b", "x:y", "1girl", "BREAK"]
)
_FUZZ = st.text(alphabet="ab ,()[]:|<>\\\n_.0123BREAKND", max_size=40)


def _weight() -> st.SearchStrategy[str]:
    return st.sampled_from(["1.2", "0.8", " 1.5 ", ".5", "1.2.3", "+1.1", "0", "2"])


def _tag(depth: int = 0) -> st.SearchStrategy[str]:
    leaf = st.one_of(
        _WORDS,
        st.builds(lambda w: f"\\({w}\\)", _WORDS),
        st.builds(lambda n, w: f"<lora:{n}:{w}>", st.sampled_from(["x_y", "name v2", "a:b"]), _weight()),
    )
    if depth >= 2:
        return leaf
    inner = st.deferred(lambda: _tags(depth + 1))
    return st.one_of(
        leaf,
        st.builds(lambda t: f"({t})", inner),
        st.builds(lambda t: f"[{t}]", inner),
        st.builds(lambda t, w: f"({t}:{w})", inner, _weight()),
        st.builds(lambda a, b, w: f"[{a}:{b}:{w}]", inner, inner, st.sampled_from(["0.5", "10", "3"])),
        st.builds(lambda a, w: f"[{a}::{w}]", inner, st.sampled_from(["0.5", "3"])),
        st.builds(lambda a, b: f"[{a}|{b}]", inner, inner),
        st.builds(lambda o: o, st.sampled_from(["(", "[", ")", "]"])),
    )


def _tags(depth: int = 0) -> st.SearchStrategy[str]:
    separators = st.sampled_from([", ", ",", " , ", ",\n", " BREAK ", " AND ", " ", ",, "])
    return st.lists(st.tuples(_tag(depth), separators), min_size=1, max_size=6).map(
        lambda parts: "".join(tag + separator for tag, separator in parts)
    )


@pytest.mark.slow  # 400 generated prompts: a few seconds
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_tags(), _FUZZ, st.builds(lambda a, b: a + b, _tags(), _FUZZ)))
def test_property_rendered_builder_reads_as_the_pasted_prompt(prompt: str) -> None:
    # import_prompt's positive is exactly this (lint and the infotext split aside)
    positive = entries_prompt(prompt_entries(prompt))
    assert attention_vector(positive) == attention_vector(prompt)
    try:
        attention_pieces(prompt)
    except PromptSyntaxError:
        return
    attention_pieces(positive)  # valid stays valid
    segments = split_segments(prompt)
    assert all(segment.source == segment.source.strip() for segment in segments)


# ------------------------------------------------------------------ infotext and PNG

WEBUI_PARAMETERS = (
    "1girl, solo, (white dress:1.1), [smile:laughing:0.4], <lora:ganyu_v2:0.8>, (by ask:0.9)\n"
    "Negative prompt: (worst quality:1.3), low quality, lowres\n"
    "Steps: 35, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 3141592653, "
    "Size: 832x1216, Model hash: 1a2b3c4d5e, Model: animeIllustDiffusion_v08, Clip skip: 2, "
    'Lora hashes: "ganyu_v2: 0123456789ab", Version: v1.10.1'
)


def _png(path: Path, chunks: dict[str, str]) -> Path:
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    for key, value in chunks.items():
        info.add_text(key, value)
    Image.new("RGB", (8, 8), "white").save(path, format="PNG", pnginfo=info)
    return path


def test_webui_png_restores_prompt_negative_and_settings(tmp_path: Path) -> None:
    imported = import_image(_png(tmp_path / "00012-3141592653.png", {"parameters": WEBUI_PARAMETERS}))
    assert imported.source == "png parameters"
    assert imported.positive == WEBUI_PARAMETERS.split("\n")[0]
    assert imported.negative == "(worst quality:1.3), low quality, lowres"
    assert imported.settings == GenerationSettings(
        width=832,
        height=1216,
        sampler="DPM++ 2M Karras",
        steps=35,
        cfg_scale=6.5,
        clip_skip=2,
        seed=3141592653,
    )
    assert dict(imported.fields)["Lora hashes"] == "ganyu_v2: 0123456789ab"
    # the CLI takes the path as its argument
    assert import_source(str(tmp_path / "00012-3141592653.png")).positive == imported.positive


def test_project_preview_png_restores_prompt_negative_and_settings(tmp_path: Path) -> None:
    from PIL import Image

    from kb.generate.pngmeta import png_bytes
    from kb.generate.request import ModelIdentity, PreviewRequest, request_infotext

    request = PreviewRequest(
        positive="(by chi4:0.8), 1girl, [smile], (amazing quality:1.3)",
        negative="(worst quality:1.3), low quality",
        seed=7,
        sampler="Euler a",
        steps=28,
        cfg_scale=7.0,
        width=832,
        height=1248,
    )
    model = ModelIdentity("tiny-random", "f" * 64, "Automatic", "", True)
    path = tmp_path / "preview.png"
    path.write_bytes(png_bytes(Image.new("RGB", (8, 8)), request_infotext(request, model)))
    imported = import_image(path)
    assert imported.positive == request.positive
    assert imported.negative == request.negative
    assert imported.settings == GenerationSettings(
        width=832, height=1248, sampler="Euler a", steps=28, cfg_scale=7.0, seed=7
    )


def test_comfyui_png_with_one_sampler(tmp_path: Path) -> None:
    graph = {
        "3": {
            "class_type": "KSampler",
            "inputs": {
                "seed": 42,
                "steps": 30,
                "cfg": 5.5,
                "sampler_name": "dpmpp_2m",
                "scheduler": "karras",
                "positive": ["6", 0],
                "negative": ["7", 0],
                "latent_image": ["5", 0],
            },
        },
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 1024, "height": 1024, "batch_size": 1}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "1girl, (smile:1.2)", "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "lowres", "clip": ["4", 1]}},
    }
    imported = import_image(_png(tmp_path / "comfy.png", {"prompt": json.dumps(graph)}))
    assert (imported.source, imported.positive, imported.negative) == (
        "png comfyui",
        "1girl, (smile:1.2)",
        "lowres",
    )
    assert imported.settings == GenerationSettings(
        sampler="DPM++ 2M Karras", steps=30, cfg_scale=5.5, seed=42
    )
    graph["8"] = dict(graph["3"])
    with pytest.raises(PromptImportError, match="2 samplers"):
        import_image(_png(tmp_path / "two.png", {"prompt": json.dumps(graph)}))


def test_bad_files_say_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(PromptImportError, match="no web-UI `parameters`"):
        import_image(_png(tmp_path / "plain.png", {}))
    not_png = tmp_path / "x.png"
    not_png.write_bytes(b"hello")
    with pytest.raises(PromptImportError, match="not a PNG"):
        import_image(not_png)
    assert main(["prompt", "import", str(tmp_path / "plain.png")]) == 2
    assert "plain.png: no web-UI" in capsys.readouterr().err


def test_a_one_line_prompt_of_weights_is_not_a_settings_line() -> None:
    # the web UI's paste parser reads three `name:value` pieces on the last line as settings
    assert import_prompt("(ab:1.2), (cd:0.8), (ef:1.1)").positive == "(ab:1.2), (cd:0.8), (ef:1.1)"


def test_unknown_sampler_is_kept_with_a_note() -> None:
    imported = import_prompt(
        "cat\nSteps: 20, Sampler: DPM++ SDE, Schedule type: Karras, CFG scale: 7, Seed: 1"
    )
    assert imported.settings is not None and imported.settings.sampler == "DPM++ SDE Karras"
    assert imported.notes and "DPM++ SDE Karras" in imported.notes[0]


# ------------------------------------------------------------------ draft, fixes, history


def test_draft_takes_the_import_and_appends(tmp_path: Path) -> None:
    draft = PromptDraft(entries=[DraftEntry("by chi4", "artist_style", 0.8)])
    imported = import_prompt("[x], <lora:a:1>\nNegative prompt: lowres\nSteps: 20, Sampler: Euler a, Seed: 5")
    replaced = imported.draft(draft)
    assert [entry.text for entry in replaced.entries] == ["x", "<lora:a:1>"]
    assert not replaced.auto_order and not replaced.include_quality
    assert render_draft(replaced).positive == "[x], <lora:a:1>"
    appended = imported.draft(draft, append=True)
    assert [entry.text for entry in appended.entries] == ["by chi4", "x", "<lora:a:1>"]
    assert appended.negative == "lowres" and appended.settings.seed == 5
    # auto-order keeps syntax verbatim next to the tag before it
    appended.auto_order, appended.include_quality = True, False
    assert render_draft(appended).positive == "(by chi4:0.8), [x], <lora:a:1>"
    # a syntax entry has no weight to change; a tag's written brackets give way to the typed weight
    assert appended.set_weight(2, 1.5) == 1.0 and appended.entries[2].prompt_text() == "<lora:a:1>"
    appended.set_weight(1, 1.2)
    assert appended.entries[1].prompt_text() == "(x:1.2)"


def test_a_fix_never_changes_what_was_not_asked() -> None:
    draft = import_prompt(":(, smile, long_hair, smile").draft()
    for code, expected in (
        ("emoticon-open-bracket", ":\\(, smile, long_hair, smile"),
        ("underscore", ":\\(, smile, long hair, smile"),
        ("duplicate-tag", ":\\(, smile, long hair"),
    ):
        rendered = render_draft(draft)
        finding = next(finding for finding in rendered.findings if finding.code == code)
        assert apply_fix(draft, rendered, finding) is not None
        assert render_draft(draft).positive == expected
    assert draft.entries[0].text == ":(" and not draft.entries[0].is_syntax  # still a frown


def test_editing_an_entry_reads_it_like_a_paste() -> None:
    draft = import_prompt("a, b").draft()
    draft.replace_entries(1, prompt_entries("[c|d], (e:1.2)"))
    assert render_draft(draft).positive == "a, [c|d], (e:1.2)"


def test_history_is_bounded_and_redo_clears_on_a_new_edit() -> None:
    history: History[int] = History(limit=3)
    for state in range(5):
        history.record(f"edit {state}", state)
    assert history.undo(5) == ("edit 4", 4)
    assert history.redo(4) == ("edit 4", 5)
    assert [history.undo(9)[1] for _ in range(3)] == [4, 3, 2]  # type: ignore[index]
    assert history.undo(2) is None  # only the last three were kept
    history.record("new", 2)
    assert history.redo(2) is None


def test_settings_read_from_older_saves() -> None:
    assert GenerationSettings.from_json({"cfg": 6, "seed": 3}) == GenerationSettings(cfg_scale=6.0, seed=3)
    settings = replace(GenerationSettings(), seed=9)
    assert GenerationSettings.from_json(settings.to_json()) == settings
    draft = PromptDraft.from_json(import_prompt("[x]").draft().to_json())
    assert draft.entries[0].emphasis == ("[",)


# ------------------------------------------------------------------ one linter


@pytest.fixture(scope="module")
def tiny_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_catalog(tmp_path_factory.mktemp("catalog") / "catalog.duckdb")


def test_explorer_and_cli_lint_give_the_same_findings(
    tiny_catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    connection = open_catalog(tiny_catalog)
    try:
        context = lint_context(connection)
        for prompt in MESSY_PROMPTS[:6]:
            draft = import_prompt(prompt, context).draft()
            rendered = render_draft(draft, context)
            assert main(["prompt", "lint", "--catalog", str(tiny_catalog), "--json", rendered.positive]) in (
                0,
                1,
            )
            cli = json.loads(capsys.readouterr().out)
            assert [finding.to_json() for finding in rendered.findings] == cli, prompt
    finally:
        connection.close()


def test_assemble_keeps_syntax_and_written_brackets() -> None:
    positive = assemble_prompt("1girl, [cat|dog], [day:night:0.5], [x], <lora:y_z:0.5>").positive
    assert "[cat|dog]" in positive and "[day:night:0.5]" in positive and "[x]" in positive
    assert "<lora:y_z:0.5>" in positive and "0.91" not in positive


def test_import_cli_human_output(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    stdin = io.StringIO(
        "[cat|dog], (smile:1.2)\nNegative prompt: lowres\nSteps: 20, Sampler: Euler a, Seed: 3\n"
    )
    import sys

    old, sys.stdin = sys.stdin, stdin
    try:
        assert main(["prompt", "import", "--catalog", str(tmp_path / "none.duckdb"), "-"]) == 0
    finally:
        sys.stdin = old
    out = capsys.readouterr().out
    assert "positive: [cat|dog], (smile:1.2)" in out and "negative: lowres" in out
    assert "seed 3" in out and "syntax" in out


@pytest.mark.slow  # imports torch and loads the tiny model
def test_a_preview_png_this_project_wrote_imports_as_its_infotext(capsys: pytest.CaptureFixture[str]) -> None:
    """`aidxl preview` on the tiny model writes a PNG; importing it gives back exactly its prompt,
    negative prompt and settings (the `parameters` text the preview printed)."""
    pytest.importorskip("torch")
    from kb.prompt.infotext import parse_infotext

    args = ["preview", "(by chi4:0.8), [smile]", "--model", "tiny-random", "--size", "64x64"]
    assert main([*args, "--seed", "11", "--steps", "2", "--sampler", "DPM++ 2M Karras", "--cfg", "6"]) == 0
    lines = capsys.readouterr().out.splitlines()
    written = parse_infotext("\n".join(lines[1:]))
    imported = import_image(Path(lines[0]))
    assert imported.positive == written.prompt and "[smile]" in imported.positive
    assert imported.negative == written.negative_prompt
    assert imported.settings == GenerationSettings(
        width=64, height=64, sampler="DPM++ 2M Karras", steps=2, cfg_scale=6.0, seed=11
    )


def test_assemble_cli_keeps_syntax(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    prompt = "[cat|dog], 1girl, [day:night:0.5], [x], <lora:a_b:0.5>"
    assert main(["prompt", "assemble", "--catalog", str(tmp_path / "none.duckdb"), "--json", prompt]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["positive"] == "[cat|dog], 1girl, [day:night:0.5], [x], <lora:a_b:0.5>"
    assert [tag["syntax"] for tag in document["tags"]] == [True, False, True, False, True]


def test_a_long_one_line_prompt_is_a_prompt_not_a_file_name(capsys: pytest.CaptureFixture[str]) -> None:
    # A name part over 255 bytes made Path.is_file() raise ENAMETOOLONG (the trial's 296-character paste).
    prompts = [("white dress, " * 400)[:length].rstrip(", ") for length in (256, 300, 600, 4000)]
    for prompt in prompts:
        assert pasted_png_path(prompt) is None
        assert import_source(prompt).positive.startswith("white dress, white dress")
    assert main(["prompt", "import", prompts[1]]) == 0
    assert "white dress" in capsys.readouterr().out
