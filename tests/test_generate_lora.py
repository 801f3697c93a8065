"""`<lora:name:w>`: found before any work, applied with diffusers' LoRA loader at weight w, hashed and
written to the infotext as the web UI does. The LoRA file is built here against the tiny-random
UNet and text encoder (peft-format keys, random low-rank factors)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from kb.generate import cache  # noqa: E402
from kb.generate.engine import generate_preview  # noqa: E402
from kb.generate.loading import LoadedModel, choose_device, load_model, resolve_model_source  # noqa: E402
from kb.generate.networks import (  # noqa: E402
    NetworkArgumentError,
    NetworkLoadError,
    NetworkNotFoundError,
    activate_networks,
    resolve_networks,
)
from kb.generate.preview import PreviewOptions, prepare_preview  # noqa: E402
from kb.generate.request import PreviewRequest, preview_key  # noqa: E402
from kb.prompt.infotext import parse_infotext  # noqa: E402
from kb.prompt.schedule import strip_extra_networks  # noqa: E402
from tui.cli import main  # noqa: E402

RANK = 2
REQUEST = PreviewRequest(
    positive="by chi4 <lora:tiny_style:0.8>, 1girl",
    negative="lowres",
    seed=5,
    sampler="Euler a",
    steps=2,
    cfg_scale=7.0,
    width=64,
    height=64,
)


@pytest.fixture(scope="module")
def model() -> Iterator[LoadedModel]:
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    source = resolve_model_source("tiny-random")
    yield load_model(source, choose_device(source, allow_cpu=False))
    torch.set_num_threads(previous)


def lora_state(model: LoadedModel) -> dict[str, Any]:
    """Low-rank factors for the UNet's attention projections and text encoder 1's q/v projections."""
    generator = torch.Generator("cpu").manual_seed(11)
    state: dict[str, Any] = {}
    parts = (
        ("unet", model.pipeline.unet, ("to_q", "to_k", "to_v")),
        ("text_encoder", model.pipeline.text_encoder, ("q_proj", "v_proj")),
    )
    for prefix, module_tree, names in parts:
        for name, module in module_tree.named_modules():
            if isinstance(module, torch.nn.Linear) and name.rsplit(".", 1)[-1] in names:
                state[f"{prefix}.{name}.lora_A.weight"] = torch.randn(
                    RANK, module.in_features, generator=generator
                )
                state[f"{prefix}.{name}.lora_B.weight"] = torch.randn(
                    module.out_features, RANK, generator=generator
                )
    return state


@pytest.fixture(scope="module")
def lora_folder(model: LoadedModel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from safetensors.torch import save_file

    folder = tmp_path_factory.mktemp("loras")
    (folder / "styles").mkdir()
    save_file(lora_state(model), str(folder / "styles" / "tiny_style.safetensors"))
    return folder


def body_hash(path: Path) -> str:
    """The kohya/AddNet hash, written out here: SHA-256 of the bytes after the safetensors header."""
    data = path.read_bytes()
    header_length = int.from_bytes(data[:8], "little")
    return hashlib.sha256(data[8 + header_length :]).hexdigest()[:12]


def resolved(lora_folder: Path, prompt: str = REQUEST.positive, **options: Any) -> Any:
    _text, calls = strip_extra_networks(prompt)
    return resolve_networks(tuple(calls), lora_dir=str(lora_folder), **options)


def test_a_lora_is_found_by_name_with_the_web_uis_hash(lora_folder: Path) -> None:
    networks = resolved(lora_folder).networks
    assert len(networks) == 1
    network = networks[0]
    assert network.path == lora_folder / "styles" / "tiny_style.safetensors"
    assert (network.te_multiplier, network.unet_multiplier) == (0.8, 0.8)
    assert network.short_hash == body_hash(network.path)
    assert network.file_sha256 == hashlib.sha256(network.path.read_bytes()).hexdigest()
    split = resolved(lora_folder, "<lora:tiny_style:0.5:0.25> a <lora:tiny_style:te=0.5>").networks
    assert [(n.te_multiplier, n.unet_multiplier) for n in split] == [(1.0, 0.75)]  # two mentions add up


def test_the_hash_in_the_metadata_wins(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    save_file(
        {"x": torch.zeros(1)}, str(tmp_path / "tagged.safetensors"), metadata={"sshs_model_hash": "f" * 64}
    )
    assert resolved(tmp_path, "<lora:tagged>").networks[0].short_hash == "f" * 12


def test_a_missing_network_stops_before_any_work_unless_ignored(lora_folder: Path) -> None:
    with pytest.raises(NetworkNotFoundError) as raised:
        resolved(lora_folder, "a <lora:nothere:0.8>, <hypernet:x:1>")
    assert str(raised.value) == (
        f"prompt position 2: <lora:nothere:0.8>: no LoRA file nothere.safetensors under {lora_folder} "
        "(from --lora-dir); or pass --ignore-missing-networks to generate without it."
    )
    kept = resolved(
        lora_folder, "a <lora:nothere:0.8>, <hypernet:x:1> <lora:tiny_style>", ignore_missing=True
    )
    assert [network.mentioned_name for network in kept.networks] == ["tiny_style"]
    assert kept.warnings == (
        f"prompt position 2: <lora:nothere:0.8>: no LoRA file nothere.safetensors under {lora_folder} "
        "(from --lora-dir); generating without it.",
        "prompt position 22: <hypernet:x:1>: extra network kind 'hypernet' is not supported (only lora); "
        "generating without it.",
    )
    with pytest.raises(
        NetworkArgumentError, match=r"prompt position 0: <lora:tiny_style:loud>: a multiplier"
    ):
        resolved(lora_folder, "<lora:tiny_style:loud>")


def test_the_lora_is_applied_at_its_weight_and_switched_off_without_it(
    model: LoadedModel, lora_folder: Path
) -> None:
    network = resolved(lora_folder).networks[0]
    state = lora_state(model)
    name = "down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k"
    try:
        activate_networks(model.pipeline, (network,))
        module = model.pipeline.unet.get_submodule(name)  # now wrapped by peft's LoRA layer
        inputs = torch.randn(1, 3, module.in_features, generator=torch.Generator("cpu").manual_seed(2))
        with torch.no_grad():
            delta = module(inputs) - module.base_layer(inputs)
        low_rank = inputs @ state[f"unet.{name}.lora_A.weight"].T @ state[f"unet.{name}.lora_B.weight"].T
        torch.testing.assert_close(delta, 0.8 * low_rank, rtol=1e-5, atol=1e-5)
        activate_networks(model.pipeline, ())
        with torch.no_grad():
            assert float((module(inputs) - module.base_layer(inputs)).abs().max()) == 0
    finally:
        activate_networks(model.pipeline, ())


def test_a_damaged_or_foreign_file_is_one_clear_line(model: LoadedModel, tmp_path: Path) -> None:
    from safetensors.torch import save_file

    (tmp_path / "junk.safetensors").write_bytes(b"\xff" * 64)
    with pytest.raises(
        NetworkLoadError, match=r"junk.safetensors: is not a safetensors file \(its header length"
    ):
        resolved(tmp_path, "<lora:junk>")
    save_file({"foo.bar": torch.zeros(2, 2)}, str(tmp_path / "foreign.safetensors"))
    with pytest.raises(NetworkLoadError, match=r"foreign.safetensors: cannot be loaded as an SDXL LoRA \("):
        activate_networks(model.pipeline, resolved(tmp_path, "<lora:foreign>").networks)
    activate_networks(model.pipeline, ())


def test_a_lora_preview_says_so_and_the_base_model_comes_back(
    model: LoadedModel, lora_folder: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    without = replace(REQUEST, positive="by chi4, 1girl")
    base_bytes = generate_preview(model, without).png_path.read_bytes()
    network = resolved(lora_folder).networks
    with_lora = generate_preview(model, replace(REQUEST, networks=network))
    assert with_lora.png_path.read_bytes() != base_bytes
    infotext = parse_infotext(with_lora.parameters)
    assert infotext.prompt == "by chi4 <lora:tiny_style:0.8>, 1girl"  # verbatim, as the web UI writes it
    assert infotext.lora_hashes == (("tiny_style", body_hash(network[0].path)),)
    assert f'Lora hashes: "tiny_style: {body_hash(network[0].path)}"' in with_lora.parameters
    assert infotext.rng == "CPU"
    assert all(value != "" for _, value in infotext.settings)
    cache.discard(preview_key(without, model.identity).digest())
    assert generate_preview(model, without).png_path.read_bytes() == base_bytes  # LoRA layers off again
    assert capfd.readouterr().err == ""  # no loader notices or progress bars


def test_preview_cli_stops_on_a_missing_lora_in_one_line(
    capsys: pytest.CaptureFixture[str], lora_folder: Path
) -> None:
    args = ["preview", "by chi4 <lora:nothere:0.8>", "--model", "tiny-random", "--lora-dir", str(lora_folder)]
    assert main(args) == 2
    error = capsys.readouterr().err
    assert len(error.splitlines()) == 1
    assert error.startswith("aidxl: prompt position ") and "<lora:nothere:0.8>" in error
    options = PreviewOptions(
        trigger="by chi4 <lora:nothere:0.8>", base="", lora_dir=str(lora_folder), ignore_missing_networks=True
    )
    prepared = prepare_preview(options, model="tiny-random")
    assert prepared.request.networks == ()
    assert any("generating without it" in warning for warning in prepared.warnings)


def test_the_explorer_is_told_only_the_ways_out_it_has(
    lora_folder: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The explorer has no --lora-dir or --ignore-missing-networks (the re-trial followed that advice).
    from kb.settings import GenerationSettings
    from kb.workbench.jobs import prepare, preview_spec

    monkeypatch.delenv("AIDXL_LORA_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    spec = preview_spec("1girl, <lora:ganyu_v2:0.8>", "", None, GenerationSettings(), "tiny-random")
    with pytest.raises(NetworkNotFoundError) as unconfigured:
        prepare(spec)
    assert "--" not in str(unconfigured.value)
    assert "AIDXL_LORA_DIR" in str(unconfigured.value)
    assert str(unconfigured.value).endswith("or take it out of the builder (ctrl+z undoes a paste).")
    monkeypatch.setenv("AIDXL_LORA_DIR", str(lora_folder))
    with pytest.raises(NetworkNotFoundError, match=r"no LoRA file ganyu_v2\.safetensors") as missing:
        prepare(spec)
    assert "--" not in str(missing.value)
