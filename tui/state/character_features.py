"""A character's appearance or outfit added to the builder (the detail pane's ctrl+n / ctrl+o).

The features are `kb.character_info`'s (a chants source, in the author's caption order, A1111
forms); this module only places them: right after the character's entry (adding the character
first when the prompt lacks it), after the features of it already there, skipping any tag the
prompt already has. With auto-order on, assembly then puts each in its slot of the card's order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from kb.tagforms import to_canonical, unescape_a1111
from tui.state.builder import BuilderEntry, BuilderState

if TYPE_CHECKING:
    from kb.character_info import CharacterInfo

FeaturePart = Literal["appearance", "outfit"]
FEATURE_KIND = "general"
CHANTS_HINT = "add a chants source: aidxl ingest --chants PATH (or --fetch when online)"


@dataclass(frozen=True)
class FeaturesAdded:
    """What one key press did, for the notification and the builder's cursor."""

    character: str  # the character's entry text
    part: FeaturePart
    added: tuple[str, ...]  # entry texts added, in order
    already_there: tuple[str, ...]  # features the prompt already had
    cursor: int  # index of the last entry added (or of the character)

    @property
    def message(self) -> str:
        what = "appearance" if self.part == "appearance" else "outfit"
        if not self.added:
            return f"the {what} of {self.character} is already in the prompt"
        count = len(self.added)
        skipped = f"; {len(self.already_there)} already there" if self.already_there else ""
        return f"added {count} {what} tag{'s' if count != 1 else ''} of {self.character}{skipped}"


def features_of(info: CharacterInfo, part: FeaturePart) -> tuple[str, ...]:
    """The part's features as entry texts (unescaped), in the author's caption order."""
    features = info.features.appearance if part == "appearance" else info.features.outfit
    return tuple(unescape_a1111(feature) for feature in features)


def no_features_reason(info: CharacterInfo, part: FeaturePart) -> str | None:
    """Why nothing can be added, or None when the part has features."""
    if features_of(info, part):
        return None
    what = "appearance" if part == "appearance" else "outfit"
    return f"no {what} known for {info.tag}; {CHANTS_HINT}"


def add_character_features(
    state: BuilderState, info: CharacterInfo, part: FeaturePart, character_entry: BuilderEntry
) -> FeaturesAdded:
    """Add the character's appearance or outfit after its entry; see the module docstring."""
    character_index = state.add(character_entry)
    feature_texts = features_of(info, part)
    own_features = {text.lower() for text in (*features_of(info, "appearance"), *features_of(info, "outfit"))}
    position = character_index + 1
    while position < len(state.entries) and state.entries[position].text.lower() in own_features:
        position += 1
    added: list[str] = []
    already: list[str] = []
    cursor = character_index
    for text in feature_texts:
        if state.index_of(text) is not None:
            already.append(text)
            continue
        cursor = state.insert(position, BuilderEntry(text, FEATURE_KIND, 1.0, to_canonical(text)))
        position = cursor + 1
        added.append(text)
    return FeaturesAdded(state.entries[character_index].text, part, tuple(added), tuple(already), cursor)
