"""History, favourites, saved prompts and blends persist in the state dir, atomically."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.paths import state_dir
from kb.userdata import BlendStyle, UserDataError, default_user_data_path, load_user_data


def test_missing_file_gives_empty_data_and_lives_in_the_state_dir() -> None:
    data = load_user_data()
    assert data.path == state_dir() / "explorer.json"
    assert (data.history, data.favourites, data.saved_prompts, data.blends) == ([], [], {}, {})


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "explorer.json"
    data = load_user_data(path)
    data.record_history("by chi4, 1girl", "lowres", "copy-positive")
    assert data.toggle_favourite('["by chi4", "artist_style", "chi4"]') is True
    data.save_blend("soft", [BlendStyle("by yoneyama mai", 0.9), BlendStyle("by chi4", 0.8)])
    data.save_prompt("portrait", {"entries": []})
    data.save()
    again = load_user_data(path)
    history = [(entry.positive, entry.action) for entry in again.history]
    assert history == [("by chi4, 1girl", "copy-positive")]
    assert again.favourites == ['["by chi4", "artist_style", "chi4"]']
    assert again.blends == {"soft": [BlendStyle("by yoneyama mai", 0.9), BlendStyle("by chi4", 0.8)]}
    assert again.saved_prompts == {"portrait": {"entries": []}}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["explorer.json"]


def test_unfavourite_and_history_cap(tmp_path: Path) -> None:
    data = load_user_data(tmp_path / "explorer.json")
    data.toggle_favourite("x")
    assert data.toggle_favourite("x") is False
    for number in range(205):
        data.record_history(str(number), "", "export")
    assert len(data.history) == 200
    assert data.history[0].positive == "5"


def test_bad_file_is_reported_with_path_and_line(tmp_path: Path) -> None:
    path = tmp_path / "explorer.json"
    path.write_text('{"version": 1,\n "history": [}', encoding="utf-8")
    with pytest.raises(UserDataError, match=rf"^{path}:2: not valid JSON"):
        load_user_data(path)
    path.write_text('{"version": 99}', encoding="utf-8")
    with pytest.raises(UserDataError, match="user data version 99, expected 1"):
        load_user_data(path)


def test_blend_needs_name_and_styles() -> None:
    data = load_user_data(default_user_data_path())
    with pytest.raises(UserDataError, match="a blend needs a name"):
        data.save_blend(" ", [BlendStyle("by chi4", 1.0)])
    with pytest.raises(UserDataError, match="has no styles"):
        data.save_blend("empty", [])
