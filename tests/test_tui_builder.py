"""The prompt builder's state model: pure Python, no screen."""

from __future__ import annotations

from dataclasses import replace

from tui.state.builder import BuilderEntry, BuilderState, GenerationSettings


def state_with(*texts: str) -> BuilderState:
    state = BuilderState()
    for text in texts:
        kind = "artist_style" if text.startswith("by ") else "general"
        state.add(BuilderEntry(text, kind))
    return state


def test_add_keeps_one_entry_per_text() -> None:
    state = state_with("by chi4", "long hair")
    assert state.add(BuilderEntry("Long Hair", "general")) == 1
    assert [entry.text for entry in state.entries] == ["by chi4", "long hair"]


def test_move_stops_at_the_ends() -> None:
    state = state_with("a", "b", "c")
    assert state.move(0, -1) == 0
    assert state.move(0, 1) == 1
    assert [entry.text for entry in state.entries] == ["b", "a", "c"]
    assert state.move(2, 1) == 2


def test_weight_steps_are_rounded_and_clamped() -> None:
    state = state_with("by chi4")
    for _ in range(3):
        state.nudge_weight(0, -1)
    assert state.entries[0].weight == 0.85
    assert state.set_weight(0, 7.0) == 3.0
    assert state.set_weight(0, -1) == 0.0
    assert state.set_weight(0, 0.8999999) == 0.9


def test_blend_replaces_styles_and_keeps_the_rest_in_order() -> None:
    state = state_with("by chi4", "1girl", "by ask", "smile")
    state.set_style_blend([("by yoneyama mai", 0.9), ("by modare", 0.8)])
    assert [(entry.text, entry.weight) for entry in state.entries] == [
        ("by yoneyama mai", 0.9),
        ("by modare", 0.8),
        ("1girl", 1.0),
        ("smile", 1.0),
    ]


def test_quick_toggles_skip_tags_already_present() -> None:
    state = state_with("best quality")
    state.include_aesthetic = True
    assert state.extra_texts() == [
        ("beautiful color", "aesthetic"),
        ("detailed", "aesthetic"),
        ("amazing quality", "quality"),
    ]
    state.include_quality = False
    state.include_aesthetic = False
    assert state.extra_texts() == []


def test_json_round_trip() -> None:
    state = state_with("by chi4", "ganyu (genshin impact)")
    state.set_weight(0, 0.8)
    state.auto_order = False
    state.negative = "lowres"
    state.settings = GenerationSettings(832, 1216, "DPM++ 2M Karras", 35, 6.5, seed=42)
    assert BuilderState.from_json(state.to_json()) == state


def test_snapshot_is_independent_of_later_changes() -> None:
    state = BuilderState([BuilderEntry("by chi4", "artist_style", 0.8)])
    copy = state.snapshot()
    state.add(BuilderEntry("smile", "general"))
    state.set_weight(0, 1.2)
    state.settings = replace(state.settings, seed=7)  # one immutable settings record (kb.settings)
    assert copy == BuilderState([BuilderEntry("by chi4", "artist_style", 0.8)])
