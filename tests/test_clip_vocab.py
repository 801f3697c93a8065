"""Where the CLIP vocabulary comes from (`kb.prompt.clip_vocab`): the providers, their order, the digest,
the Hub through a cache folder the test lays out, and what the CLI and the explorer do without one.

A provider is hidden the documented way, `sys.modules[name] = None` (then `find_spec` answers None);
Hub tests run in a fresh process because huggingface_hub reads HF_HUB_CACHE / HF_HUB_OFFLINE when
imported.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.errors import ClipVocabularyError
from kb.prompt import clip_bpe, clip_vocab
from kb.prompt.clip_vocab import (
    HUB_DOWNLOAD_COMMAND,
    HUB_REPO_ID,
    HUB_REVISION,
    MERGE_COUNT,
    MERGES_SHA256,
    VOCAB_PATH_ENV,
    VocabularyProvider,
    find_vocabulary_source,
    instant_module_path,
    read_merge_lines,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
SOLO_IDS = [272, 1611, 267, 5797]  # "1girl, solo": 1 girl , solo (transformers.CLIPTokenizer)
HIDE_LOCAL_PROVIDERS = "import sys; sys.modules['instant_clip_tokenizer'] = sys.modules['open_clip'] = None\n"


@pytest.fixture(scope="module")
def reference_merges() -> tuple[str, ...]:
    """The merge rules of the provider installed here, read straight from its file (digest checked)."""
    return read_merge_lines(find_vocabulary_source().path)


def merges_text(merge_lines: tuple[str, ...] | list[str], line_end: str = "\n") -> str:
    return line_end.join(["#version: 0.2", *merge_lines]) + line_end


@pytest.fixture()
def fresh_vocabulary() -> Iterator[None]:
    """Forget the process-wide vocabulary (and a remembered failure) before and after the test."""

    def forget() -> None:
        clip_vocab._installed_outcome.cache_clear()
        clip_bpe.load_vocabulary.cache_clear()
        clip_bpe.get_tokenizer.cache_clear()

    forget()
    yield
    forget()


def test_instant_clip_tokenizer_is_the_provider_here() -> None:
    """The dependency pyproject declares for this platform wins; its module is read, never imported."""
    if instant_module_path() is None:
        pytest.skip("instant-clip-tokenizer has no wheel for this platform or Python")
    source = find_vocabulary_source()
    assert source.provider is VocabularyProvider.INSTANT
    assert source.path.parent.name == "instant_clip_tokenizer"
    assert source.path.suffix in (".so", ".pyd")
    assert "instant_clip_tokenizer" not in sys.modules


def test_instant_merges_pass_the_digest_and_give_the_reference_ids(
    reference_merges: tuple[str, ...],
) -> None:
    assert len(reference_merges) == MERGE_COUNT
    assert reference_merges[:3] == ("i n", "t h", "a n")
    assert reference_merges[-1] == "jeky ll</w>"
    tokenizer = clip_bpe.ClipTokenizer(clip_bpe.ClipVocabulary(
        reference_merges, dict(zip(reference_merges, range(MERGE_COUNT), strict=True))
    ))
    assert tokenizer.encode("1girl, solo") == SOLO_IDS
    assert tokenizer.encode("a photo of a cat") == [320, 1125, 539, 320, 2368]
    assert tokenizer.encode("masterpiece, best quality") == [12066, 267, 949, 3027]


def test_override_wins_over_every_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference_merges: tuple[str, ...]
) -> None:
    merges_file = tmp_path / "merges.txt"
    merges_file.write_text(merges_text(reference_merges), encoding="utf-8")
    monkeypatch.setenv(VOCAB_PATH_ENV, str(merges_file))
    assert find_vocabulary_source() == (VocabularyProvider.OVERRIDE, merges_file)
    assert read_merge_lines(merges_file) == reference_merges


def test_override_to_a_missing_file_is_reported_not_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VOCAB_PATH_ENV, str(tmp_path / "nowhere.txt"))
    expected = rf"^{tmp_path}/nowhere\.txt: no such file \(AIDXL_CLIP_VOCAB names the CLIP vocabulary"
    with pytest.raises(ClipVocabularyError, match=expected):
        find_vocabulary_source()


def test_vocabulary_text_embedded_in_a_binary_with_crlf_line_ends(
    tmp_path: Path, reference_merges: tuple[str, ...]
) -> None:
    """As in instant-clip-tokenizer's Windows module: bytes around the text, CRLF line ends."""
    binary = tmp_path / "module.pyd"
    text = merges_text(reference_merges, line_end="\r\n") + "rest of the vocabulary\r\n"
    binary.write_bytes(b"MZ\x90\x00\x03" * 1000 + text.encode("utf-8") + b"\x00\xff" * 1000)
    assert read_merge_lines(binary) == reference_merges


def test_a_changed_rule_fails_the_checksum_and_names_the_file(
    tmp_path: Path, reference_merges: tuple[str, ...]
) -> None:
    swapped = list(reference_merges)
    swapped[100], swapped[101] = swapped[101], swapped[100]
    merges_file = tmp_path / "merges.txt"
    merges_file.write_text(merges_text(swapped), encoding="utf-8")
    expected = rf"^{merges_file}: checksum mismatch: .* not {MERGES_SHA256[:16]}…"
    with pytest.raises(ClipVocabularyError, match=expected):
        read_merge_lines(merges_file)


def test_a_file_without_the_header_is_not_a_vocabulary(tmp_path: Path) -> None:
    other = tmp_path / "other.txt"
    other.write_text("i n\nt h\n", encoding="utf-8")
    expected = r"other\.txt: not a CLIP vocabulary \(no `#version: 0\.2` line\)"
    with pytest.raises(ClipVocabularyError, match=expected):
        read_merge_lines(other)


def test_open_clip_comes_after_instant_and_before_the_hub(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference_merges: tuple[str, ...]
) -> None:
    """An `open_clip` package folder holding its vocabulary file (found by find_spec, never imported)."""
    package = tmp_path / "site" / "open_clip"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("raise ImportError('open_clip must not be imported')\n")
    with gzip.open(package / "bpe_simple_vocab_16e6.txt.gz", "wt", encoding="utf-8") as handle:
        handle.write(merges_text(reference_merges))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.delenv(VOCAB_PATH_ENV, raising=False)
    if instant_module_path() is not None:
        assert find_vocabulary_source().provider is VocabularyProvider.INSTANT
    monkeypatch.setitem(sys.modules, "instant_clip_tokenizer", None)  # type: ignore[arg-type]
    source = find_vocabulary_source()
    assert source == (VocabularyProvider.OPEN_CLIP, package / "bpe_simple_vocab_16e6.txt.gz")
    assert read_merge_lines(source.path) == reference_merges


# ----------------------------------------------------------------------------------------------
# The Hugging Face Hub, through a cache folder laid out as huggingface_hub writes it


def make_hub_cache(root: Path, merges: str) -> Path:
    """blobs/<name>, snapshots/<commit>/merges.txt -> blob, refs/main; returns the HF_HUB_CACHE folder."""
    repo_dir = root / ("models--" + HUB_REPO_ID.replace("/", "--"))
    blob = repo_dir / "blobs" / "4297ea6a8d2bae1fea8f48b45e257814dcb11f69"
    blob.parent.mkdir(parents=True)
    blob.write_text(merges, encoding="utf-8")
    snapshot = repo_dir / "snapshots" / HUB_REVISION
    snapshot.mkdir(parents=True)
    (snapshot / "merges.txt").symlink_to(Path("..", "..", "blobs", blob.name))
    (repo_dir / "refs").mkdir()
    (repo_dir / "refs" / "main").write_text(HUB_REVISION)
    return root


def run_without_local_providers(
    hub_cache: Path, code: str, **environment: str
) -> subprocess.CompletedProcess[str]:
    """`code` in a fresh process where neither package is importable and the Hub cache is `hub_cache`."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(hub_cache), **environment}
    env.pop(VOCAB_PATH_ENV, None)
    return subprocess.run(
        [sys.executable, "-c", HIDE_LOCAL_PROVIDERS + code],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False,
    )


def aidxl_without_local_providers(
    hub_cache: Path, *arguments: str, **environment: str
) -> subprocess.CompletedProcess[str]:
    code = f"from tui.cli import main\nsys.exit(main({list(arguments)!r}))\n"
    return run_without_local_providers(hub_cache, code, **environment)


def test_hub_cache_gives_the_vocabulary_offline(tmp_path: Path, reference_merges: tuple[str, ...]) -> None:
    hub_cache = make_hub_cache(tmp_path / "hub", merges_text(reference_merges))
    code = (
        "from kb.prompt.clip_vocab import find_vocabulary_source\n"
        "from kb.prompt.clip_bpe import get_tokenizer\n"
        "source = find_vocabulary_source()\n"
        "print(source.provider.value, source.path)\n"
        "print(get_tokenizer().encode('1girl, solo'))\n"
        "heavy = ('torch', 'open_clip', 'instant_clip_tokenizer')\n"
        "print(sorted(name for name in heavy if sys.modules.get(name)))\n"
    )
    completed = run_without_local_providers(hub_cache, code)
    assert completed.returncode == 0, completed.stderr
    provider_line, ids_line, imported_line = completed.stdout.splitlines()
    snapshot = hub_cache / f"models--openai--clip-vit-large-patch14/snapshots/{HUB_REVISION}/merges.txt"
    assert provider_line == f"huggingface-hub {snapshot}"
    assert ids_line == str(SOLO_IDS)
    assert imported_line == "[]"
    tokens = aidxl_without_local_providers(hub_cache, "prompt", "tokens", "1girl, solo")
    assert tokens.returncode == 0, tokens.stderr
    assert tokens.stdout.splitlines()[0] == "4/75"


def test_no_provider_offline_says_what_is_missing_and_the_command_that_fixes_it(tmp_path: Path) -> None:
    hub_cache = tmp_path / "empty-hub"
    hub_cache.mkdir()
    tokens = aidxl_without_local_providers(hub_cache, "prompt", "tokens", "1girl, solo")
    assert tokens.returncode == 2
    assert tokens.stdout == ""
    assert tokens.stderr == (
        "aidxl: CLIP vocabulary not found: neither instant-clip-tokenizer nor open-clip-torch is installed "
        "and the Hugging Face Hub is offline (HF_HUB_OFFLINE=1) with no cached merges.txt; fetch it once "
        f"with `{HUB_DOWNLOAD_COMMAND}`, or set AIDXL_CLIP_VOCAB=PATH to a CLIP merges.txt\n"
    )
    assert HUB_DOWNLOAD_COMMAND == (
        "hf download openai/clip-vit-large-patch14 merges.txt "
        "--revision 32bd64288804d66eefd0ccbe215aa642df71cc41"
    )
    # The linter still lints, without its token checks, and says so in one note.
    lint = aidxl_without_local_providers(
        hub_cache, "prompt", "lint", "--catalog", str(tmp_path / "none.duckdb"), "long_hair, 1girl"
    )
    assert lint.returncode == 0, lint.stderr
    assert lint.stdout.startswith("0-9 warning underscore: `long_hair`")
    notes = lint.stderr.splitlines()
    assert len(notes) == 2  # the catalog note and the vocabulary note
    assert notes[1].startswith("aidxl: note: CLIP vocabulary not found: ")
    assert notes[1].endswith("; linted without the token checks (chunk borders)")


def test_a_corrupted_hub_file_fails_the_checksum_and_names_it(
    tmp_path: Path, reference_merges: tuple[str, ...]
) -> None:
    damaged = list(reference_merges)
    damaged[4000] = "x y"
    hub_cache = make_hub_cache(tmp_path / "hub", merges_text(damaged))
    tokens = aidxl_without_local_providers(hub_cache, "prompt", "tokens", "1girl, solo")
    assert tokens.returncode == 2
    snapshot = hub_cache / f"models--openai--clip-vit-large-patch14/snapshots/{HUB_REVISION}/merges.txt"
    assert tokens.stderr.startswith(f"aidxl: {snapshot}: checksum mismatch: ")
    assert len(tokens.stderr.splitlines()) == 1


def test_an_unreachable_hub_fails_at_once_in_one_line(tmp_path: Path) -> None:
    """Online, but the endpoint refuses connections (a port just closed on this machine)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    hub_cache = tmp_path / "empty-hub"
    hub_cache.mkdir()
    tokens = aidxl_without_local_providers(
        hub_cache, "prompt", "tokens", "1girl, solo",
        HF_HUB_OFFLINE="0", HF_ENDPOINT=f"http://127.0.0.1:{closed_port}",
    )
    assert tokens.returncode == 2
    (line,) = tokens.stderr.splitlines()
    assert line.startswith(
        "aidxl: CLIP vocabulary not found: neither instant-clip-tokenizer nor open-clip-torch is installed "
        "and the Hugging Face Hub could not be reached ("
    )
    assert line.endswith(
        f"fetch it once with `{HUB_DOWNLOAD_COMMAND}`, or set AIDXL_CLIP_VOCAB=PATH to a CLIP merges.txt"
    )


# ----------------------------------------------------------------------------------------------
# The explorer's builder without a vocabulary


def test_builder_shows_the_reason_instead_of_a_token_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_vocabulary: None
) -> None:
    from prompt_fixture import build_tiny_catalog
    from textual.widgets import Static

    from tui.app import ExplorerApp

    monkeypatch.setenv(VOCAB_PATH_ENV, str(tmp_path / "gone.txt"))
    reason = (
        f"{tmp_path}/gone.txt: no such file (AIDXL_CLIP_VOCAB names the CLIP vocabulary: "
        "a merges.txt or bpe_simple_vocab_16e6.txt[.gz])"
    )
    app = ExplorerApp(build_tiny_catalog(tmp_path / "catalog.duckdb"), watch_catalog=False, detail_delay=0)

    async def scenario() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.press("ctrl+u", *"by chi4")
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press("enter", "ctrl+b", "w", "ctrl+u", *"1.6", "enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            rendered = app.builder_view.rendered
            assert rendered is not None
            assert rendered.positive == "(by chi4:1.6), (amazing quality:1.3), (best quality:1.3)"
            assert [finding.code for finding in rendered.findings] == ["weight-range"]  # still linted
            assert rendered.tokens is None and rendered.negative_tokens is None
            assert rendered.unavailable == (f"tokens: {reason}",)
            token_line = str(app.screen.query_one("#tokens", Static).render())
            assert "/75" not in token_line
            assert " ".join(token_line.split()) == f"tokens: {reason}"

    asyncio.run(scenario())
