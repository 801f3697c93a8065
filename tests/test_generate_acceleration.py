"""The UNet mode: chosen automatically (CUDA graphs on a GPU, eager on the CPU), overridable by flag,
environment or config, and an eager fallback on the CPU that changes no pixel. No GPU here: the
CUDA choices are checked as choices; the graphs themselves are measured by bench/generate.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.generate.acceleration import UnetModeError, choose_unet_mode, requested_unet_mode
from tui.cli import main


def test_auto_is_cuda_graphs_on_a_gpu_and_eager_on_the_cpu() -> None:
    assert (choose_unet_mode("auto", "cuda").mode, choose_unet_mode("auto", "cuda").note) == ("graphs", None)
    assert (choose_unet_mode("auto", "cpu").mode, choose_unet_mode("auto", "cpu").note) == ("eager", None)
    assert choose_unet_mode("compiled", "cuda").mode == "compiled"
    assert choose_unet_mode("eager", "cuda").mode == "eager"
    assert choose_unet_mode("auto", "cuda", test_model=True).mode == "eager"  # tiny-random: tests
    assert choose_unet_mode("graphs", "cuda", test_model=True).mode == "graphs"
    fallback = choose_unet_mode("graphs", "cpu")
    assert fallback.mode == "eager"
    assert fallback.note == "warning: UNet mode graphs needs a CUDA GPU; running the UNet eager on the cpu."


def test_the_mode_comes_from_the_flag_then_the_environment_then_the_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("AIDXL_UNET_MODE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert requested_unet_mode() == "auto"
    (tmp_path / "aidxl-kb").mkdir()
    (tmp_path / "aidxl-kb" / "config.toml").write_text(
        '[generate]\nunet_mode = "compiled"\n', encoding="utf-8"
    )
    assert requested_unet_mode() == "compiled"
    monkeypatch.setenv("AIDXL_UNET_MODE", "Eager")
    assert requested_unet_mode() == "eager"
    assert requested_unet_mode("graphs") == "graphs"
    monkeypatch.setenv("AIDXL_UNET_MODE", "turbo")
    with pytest.raises(UnetModeError) as raised:
        requested_unet_mode()
    assert str(raised.value) == (
        "UNet mode 'turbo' (from $AIDXL_UNET_MODE) is not one of: auto, eager, graphs, compiled."
    )


def test_a_bad_mode_in_the_environment_stops_the_preview_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AIDXL_UNET_MODE", "turbo")
    assert main(["preview", "by chi4", "--model", "tiny-random", "--steps", "1"]) == 2
    assert capsys.readouterr().err == (
        "aidxl: UNet mode 'turbo' (from $AIDXL_UNET_MODE) is not one of: auto, eager, graphs, compiled.\n"
    )


@pytest.mark.slow  # two CLI generations in process, each loading the tiny model (about 5 s)
def test_graphs_on_the_cpu_fall_back_to_eager_with_the_same_pixels(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: graphs would run")
    monkeypatch.delenv("AIDXL_UNET_MODE", raising=False)
    args = ["preview", "by chi4", "--model", "tiny-random", "--steps", "1", "--seed", "3", "--json"]
    assert main([*args, "--unet-mode", "graphs", "--out", str(tmp_path / "graphs.png")]) == 0
    assert "UNet mode graphs needs a CUDA GPU; running the UNet eager on the cpu." in capsys.readouterr().err
    from kb.generate import cache

    for entry in cache.previews_dir().rglob("*.png"):
        entry.unlink()  # a damaged entry is a miss: generated again, eager as asked
    assert main([*args, "--unet-mode", "eager", "--out", str(tmp_path / "eager.png")]) == 0
    assert "UNet mode" not in capsys.readouterr().err
    assert (tmp_path / "graphs.png").read_bytes() == (tmp_path / "eager.png").read_bytes()
