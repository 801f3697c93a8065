"""Torch-free parts of generation: A1111 infotext, the preview cache, model resolution and its errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kb.generate import cache
from kb.generate.loading import (
    DeviceError,
    ModelNotFoundError,
    choose_device,
    file_or_folder_sha256,
    model_identity,
    resolve_model_source,
)
from kb.prompt.infotext import format_infotext, parse_infotext

# An infotext as the web UI 1.10 writes it (values with a comma are JSON-quoted).
WEBUI_INFOTEXT = (
    "by chi4, 1girl, (solo:1.2)\n"
    "Negative prompt: (worst quality:1.3), lowres\n"
    "Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 7, Size: 832x1216, "
    'Model hash: 1a2b3c4d5e, Model: "aidxl, v1", VAE: Automatic, Emphasis: No norm, Version: v1.10.1'
)


def test_web_ui_infotext_parses_into_prompt_negative_and_settings() -> None:
    infotext = parse_infotext(WEBUI_INFOTEXT)
    assert infotext.prompt == "by chi4, 1girl, (solo:1.2)"
    assert infotext.negative_prompt == "(worst quality:1.3), lowres"
    assert infotext.get("Model") == "aidxl, v1"
    assert infotext.get("Size") == "832x1216"
    assert infotext.get("Emphasis") == "No norm"
    assert [key for key, _ in infotext.settings][:3] == ["Steps", "Sampler", "Schedule type"]


def test_infotext_round_trips() -> None:
    infotext = parse_infotext(WEBUI_INFOTEXT)
    assert (
        format_infotext(infotext.prompt, infotext.negative_prompt, list(infotext.settings)) == WEBUI_INFOTEXT
    )


def test_fields_the_web_ui_writes_are_read_back() -> None:
    infotext = parse_infotext(
        "cat <lora:style_a:0.8> AND dog\n"
        "Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 1, Size: 64x64, "
        'RNG: CPU, Lora hashes: "style_a: 0123456789ab, other: ba9876543210", Pad conds: True, '
        "Emphasis: No norm, Version: v1.10.1"
    )
    assert infotext.prompt == "cat <lora:style_a:0.8> AND dog"  # extra networks stay in the prompt
    assert infotext.schedule_type == "Karras"
    assert infotext.emphasis == "No norm"
    assert infotext.rng == "CPU"
    assert infotext.pad_conds is True
    assert infotext.lora_hashes == (("style_a", "0123456789ab"), ("other", "ba9876543210"))
    plain = parse_infotext(WEBUI_INFOTEXT)
    assert (plain.rng, plain.pad_conds, plain.lora_hashes) == (None, False, ())


def test_an_empty_value_is_never_written() -> None:
    text = format_infotext("cat", "", [("Steps", "2"), ("Sheet title", ""), ("Seed", "1"), ("RNG", "CPU")])
    assert text == "cat\nSteps: 2, Seed: 1, RNG: CPU"


def test_infotext_without_settings_line_is_all_prompt() -> None:
    infotext = parse_infotext("just a prompt\nsecond line")
    assert (infotext.prompt, infotext.negative_prompt, infotext.settings) == (
        "just a prompt\nsecond line",
        "",
        (),
    )


def stored_entry(digest: str) -> cache.CachedPreview:
    return cache.store(
        digest,
        b"png-bytes",
        b"thumb-bytes",
        {"parameters": "p\nSteps: 1, Seed: 2, Size: 3x3", "triggers": ["by chi4"]},
    )


def test_cache_entry_round_trips_and_is_found_by_trigger() -> None:
    digest = "ab" * 32
    stored = stored_entry(digest)
    assert cache.lookup(digest) == stored
    assert stored.png_path.read_bytes() == b"png-bytes"
    assert [found.digest for found in cache.find_previews("by chi4")] == [digest]
    assert cache.find_previews("by ask") == []


@pytest.mark.parametrize("damage", ["truncate_png", "corrupt_sidecar", "missing_thumbnail"])
def test_damaged_cache_entry_is_a_miss_and_is_removed(damage: str) -> None:
    digest = "cd" * 32
    stored = stored_entry(digest)
    if damage == "truncate_png":
        stored.png_path.write_bytes(b"png-")
    elif damage == "corrupt_sidecar":
        stored.sidecar_path.write_text("{not json", encoding="utf-8")
    else:
        stored.thumbnail_path.unlink()
    assert cache.lookup(digest) is None
    assert not stored.sidecar_path.exists()
    assert not stored.png_path.exists()


def test_png_without_sidecar_is_not_an_entry() -> None:
    digest = "ef" * 32
    png_path, _, _ = cache.entry_paths(digest)
    png_path.parent.mkdir(parents=True)
    png_path.write_bytes(b"half-written")
    assert cache.lookup(digest) is None


def test_temp_files_of_dead_writers_are_removed() -> None:
    folder = cache.previews_dir() / "aa"
    folder.mkdir(parents=True)
    dead = folder / ".x.png.999999999.tmp"  # no such process
    alive = folder / f".y.png.{os.getpid()}.tmp"
    dead.write_bytes(b"partial")
    alive.write_bytes(b"in progress")
    cache.remove_stale_temp_files(folder)
    assert (dead.exists(), alive.exists()) == (False, True)


def test_no_model_configured_names_every_way_to_give_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIDXL_MODEL", raising=False)
    with pytest.raises(ModelNotFoundError) as raised:
        resolve_model_source(None)
    message = str(raised.value)
    assert message.startswith("No model is configured; pass --model PATH")
    assert "AIDXL_MODEL" in message and "config.toml" in message and "--model tiny-random" in message
    # For a program without flags (the explorer): the environment and the config file only.
    without_flags = raised.value.without_flags
    assert without_flags.startswith("No model is configured; set AIDXL_MODEL=PATH")
    assert "--" not in without_flags and "under [generate] in" in without_flags
    import pickle

    copy = pickle.loads(pickle.dumps(raised.value))
    assert (str(copy), copy.without_flags) == (message, without_flags)


def test_missing_model_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "aidxl.safetensors"
    with pytest.raises(ModelNotFoundError, match=f"Model file {missing} \\(from --model\\) does not exist"):
        resolve_model_source(str(missing))


def test_model_from_environment_and_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "aidxl-diffusers"
    folder.mkdir()
    (folder / "model_index.json").write_text("{}", encoding="utf-8")
    monkeypatch.setenv("AIDXL_MODEL", str(folder))
    assert resolve_model_source(None).origin == "$AIDXL_MODEL"
    monkeypatch.delenv("AIDXL_MODEL")
    config_home = tmp_path / "config"
    (config_home / "aidxl-kb").mkdir(parents=True)
    (config_home / "aidxl-kb" / "config.toml").write_text(
        f'[generate]\nmodel = "{folder}"\n', encoding="utf-8"
    )
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home))
    source = resolve_model_source(None)
    assert (source.kind, source.path, source.label) == ("diffusers_folder", folder, "aidxl-diffusers")


def test_folder_without_model_index_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match=r"model_index\.json is missing"):
        resolve_model_source(str(tmp_path))


def test_single_file_without_sdxl_config_names_the_config(tmp_path: Path) -> None:
    checkpoint = tmp_path / "animeIllustDiffusion_v08.safetensors"
    checkpoint.write_bytes(b"\0" * 16)
    with pytest.raises(ModelNotFoundError) as raised:
        resolve_model_source(str(checkpoint))
    assert "needs the SDXL base config (stabilityai/stable-diffusion-xl-base-1.0/model_index.json" in str(
        raised.value
    )
    assert "--model-config" in str(raised.value)


def test_single_file_with_config_folder_and_missing_vae(tmp_path: Path) -> None:
    checkpoint = tmp_path / "aidxl.safetensors"
    checkpoint.write_bytes(b"weights")
    config = tmp_path / "sdxl-config"
    config.mkdir()
    (config / "model_index.json").write_text("{}", encoding="utf-8")
    source = resolve_model_source(str(checkpoint), None, str(config))
    assert (source.kind, source.label, source.config_path) == ("single_file", "aidxl", config)
    with pytest.raises(ModelNotFoundError, match=r"VAE .*sdxl_vae\.safetensors \(from --vae\) is neither"):
        resolve_model_source(str(checkpoint), str(tmp_path / "sdxl_vae.safetensors"), str(config))


def test_model_hash_is_the_files_sha256_and_is_remembered(tmp_path: Path) -> None:
    checkpoint = tmp_path / "m.safetensors"
    checkpoint.write_bytes(b"abc")
    expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert file_or_folder_sha256(checkpoint) == expected
    assert file_or_folder_sha256(checkpoint) == expected  # from the record
    config = tmp_path / "c"
    config.mkdir()
    (config / "model_index.json").write_text("{}", encoding="utf-8")
    identity = model_identity(resolve_model_source(str(checkpoint), None, str(config)))
    assert (identity.short_hash, identity.label, identity.vae_label) == ("ba7816bf8f", "m", "Automatic")


def test_full_size_model_without_gpu_is_refused_unless_allowed(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    folder = tmp_path / "aidxl"
    folder.mkdir()
    (folder / "model_index.json").write_text("{}", encoding="utf-8")
    source = resolve_model_source(str(folder))
    with pytest.raises(DeviceError, match=r"No CUDA GPU is available to torch.*pass --allow-cpu"):
        choose_device(source, allow_cpu=False)
    choice = choose_device(source, allow_cpu=True)
    assert (choice.device, choice.dtype_name) == ("cpu", "float32")
    assert choice.warning is not None and "CPU" in choice.warning
    assert choose_device(resolve_model_source("tiny-random"), allow_cpu=False).device == "cpu"
