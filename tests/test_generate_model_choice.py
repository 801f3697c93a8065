"""The model a user picks, checked offline: tiny-random, a checkpoint, a diffusers folder, a cached Hub id."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from kb.generate.loading import resolve_model_source
from kb.generate.model_choice import NO_MODEL, ModelChoiceError, check_model_choice, describe_model
from kb.generate.tiny import TINY_MODEL_LABEL
from kb.settings import GenerationSettings

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(autouse=True)
def no_configured_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIDXL_MODEL", raising=False)
    monkeypatch.delenv("AIDXL_VAE", raising=False)
    monkeypatch.delenv("AIDXL_MODEL_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))


def cached_hub_model(hub: Path, repo: str) -> Path:
    """The layout huggingface_hub writes for a diffusers model's model_index.json."""
    data = json.dumps({"_class_name": "StableDiffusionXLPipeline"}).encode()
    repo_dir = hub / ("models--" + repo.replace("/", "--"))
    blob = repo_dir / "blobs" / hashlib.sha256(data).hexdigest()
    blob.parent.mkdir(parents=True)
    blob.write_bytes(data)
    snapshot = repo_dir / "snapshots" / COMMIT
    snapshot.mkdir(parents=True)
    (snapshot / "model_index.json").symlink_to(Path("..", "..", "blobs", blob.name))
    (repo_dir / "refs").mkdir()
    (repo_dir / "refs" / "main").write_text(COMMIT)
    return snapshot


def test_tiny_random_is_a_random_weight_choice() -> None:
    choice = check_model_choice(" tiny-random ")
    assert (choice.value, choice.label, choice.random_weights) == ("tiny-random", TINY_MODEL_LABEL, True)
    assert choice.short_label == "tiny-random · RANDOM WEIGHTS"


def test_a_diffusers_folder_and_a_checkpoint_with_its_config_are_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "aidxl-diffusers"
    folder.mkdir()
    (folder / "model_index.json").write_text("{}")
    assert check_model_choice(str(folder)).label == "aidxl-diffusers"
    checkpoint = tmp_path / "aidxl_v10.safetensors"
    checkpoint.write_bytes(b"\0" * 16)
    config = tmp_path / "sdxl-config"
    config.mkdir()
    (config / "model_index.json").write_text("{}")
    monkeypatch.setenv("AIDXL_MODEL_CONFIG", str(config))
    choice = check_model_choice(str(checkpoint))
    assert (choice.value, choice.label, choice.random_weights) == (str(checkpoint), "aidxl_v10", False)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (
            lambda root: root / "missing.safetensors",
            "no such file or folder; choose an SDXL .safetensors file",
        ),
        (lambda root: _file(root / "model.ckpt"), "not a .safetensors checkpoint; choose"),
        (lambda root: _folder(root / "empty"), "this folder has no model_index.json"),
        (
            lambda root: "someone/not-downloaded",
            "no diffusers model of that id in the local Hugging Face cache",
        ),
    ],
)
def test_a_bad_choice_is_one_sentence_naming_it(tmp_path: Path, make: object, expected: str) -> None:
    value = str(make(tmp_path))  # type: ignore[operator]
    with pytest.raises(ModelChoiceError) as raised:
        check_model_choice(value)
    message = str(raised.value)
    assert message.startswith(f"model {value}: ") and expected in message
    assert "\n" not in message and message.endswith(".")


def test_a_checkpoint_without_the_sdxl_config_says_so_without_flags(tmp_path: Path) -> None:
    checkpoint = tmp_path / "aidxl.safetensors"
    checkpoint.write_bytes(b"\0")
    with pytest.raises(ModelChoiceError) as raised:
        check_model_choice(str(checkpoint))
    assert "needs the SDXL base config" in str(raised.value)
    assert "--model-config" not in str(raised.value)  # the explorer has no such flag


def test_a_hub_id_in_the_local_cache_resolves_to_its_snapshot(tmp_path: Path) -> None:
    snapshot = cached_hub_model(tmp_path / "hub", "someone/anime-xl")
    choice = check_model_choice("someone/anime-xl")
    assert (choice.value, choice.label, choice.random_weights) == (
        "someone/anime-xl",
        "someone/anime-xl",
        False,
    )
    source = resolve_model_source("someone/anime-xl")
    assert (source.kind, source.path, source.hub_id) == ("diffusers_folder", snapshot, "someone/anime-xl")


def test_an_empty_choice_reports_the_environment_or_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert check_model_choice("") == NO_MODEL
    config = tmp_path / "config" / "aidxl-kb" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[generate]\nmodel = "tiny-random"\n')
    from_config = check_model_choice(None)
    assert (from_config.value, from_config.random_weights) == (None, True)
    assert from_config.origin.endswith("config.toml [generate] model")
    monkeypatch.setenv("AIDXL_MODEL", str(tmp_path / "gone.safetensors"))
    broken = describe_model(None)  # never raises: the reason is its problem
    assert (
        broken.problem is not None and "gone.safetensors (from $AIDXL_MODEL) does not exist" in broken.problem
    )
    assert broken.label == "the configured model" and not broken.random_weights


def test_the_model_is_a_generation_setting_saved_only_when_chosen() -> None:
    plain = GenerationSettings()
    assert "model" not in plain.to_json()
    chosen = GenerationSettings(model="tiny-random")
    assert chosen.to_json()["model"] == "tiny-random"
    assert GenerationSettings.from_json(chosen.to_json()) == chosen
    assert GenerationSettings.from_json({"model": "  "}).model is None
    assert GenerationSettings.from_json({"model": 3}).model is None


def _file(path: Path) -> Path:
    path.write_bytes(b"x")
    return path


def _folder(path: Path) -> Path:
    path.mkdir()
    return path
