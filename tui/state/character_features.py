"""A character's appearance or outfit added to the builder (the detail pane's ctrl+n / ctrl+o).

Which features are added is `kb.knowledge.features.new_features`, as for `aidxl prompt assemble
--with-features`: not those the prompt already has, nor those a tag of the prompt or another
added feature implies (`goat horns` makes `horns` redundant; the linter would flag it). This module
only places them: right after the character's entry (adding the character first when the prompt
lacks it), after the features of it already there. With auto-order on, assembly then puts each in
its slot of the card's order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from kb.knowledge.tagforms import to_canonical, unescape_a1111
from tui.state.builder import BuilderEntry, BuilderState

if TYPE_CHECKING:
    from kb.knowledge.author_tables import AuthorTables
    from kb.knowledge.character_info import CharacterInfo

FeaturePart = Literal["appearance", "outfit"]
FEATURE_KIND = "general"
CHANTS_HINT = "add a chants source: aidxl ingest --add --chants PATH (or --fetch when online)"


@dataclass(frozen=True)
class FeaturesAdded:
    """What one key press did, for the notification and the builder's cursor."""

    character: str  # the character's entry text
    part: FeaturePart
    added: tuple[str, ...]  # entry texts added, in order
    already_there: tuple[str, ...]  # features the prompt already had
    cursor: int  # index of the last entry added (or of the character)
    implied: tuple[tuple[str, str], ...] = ()  # (feature skipped, the tag implying it)

    @property
    def message(self) -> str:
        what = "appearance" if self.part == "appearance" else "outfit"
        skipped = []
        if self.already_there:
            skipped.append(f"{len(self.already_there)} already there")
        skipped += [f"{feature} (implied by {by})" for feature, by in self.implied]
        if not self.added:
            if self.implied:
                return f"nothing to add for the {what} of {self.character}: skipped {', '.join(skipped)}"
            return f"the {what} of {self.character} is already in the prompt"
        count = len(self.added)
        noun = "tag" if count == 1 else "tags"
        return f"added {count} {what} {noun} of {self.character}" + (
            f"; skipped {', '.join(skipped)}" if skipped else ""
        )


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


def present_keys(state: BuilderState) -> set[str]:
    """The canonical tags the builder's entries name (their text, and the catalog tag behind it)."""
    keys = {to_canonical(entry.text) for entry in state.entries}
    return keys | {entry.tag for entry in state.entries if entry.tag}


def add_character_features(
    state: BuilderState,
    info: CharacterInfo,
    part: FeaturePart,
    character_entry: BuilderEntry,
    tables: AuthorTables | None = None,
) -> FeaturesAdded:
    """Add the character's appearance or outfit after its entry; see the module docstring.
    `tables` are the catalog's author tables (their implications); None skips only present tags."""
    from kb.knowledge.caption_groups import FeaturePart as KbFeaturePart
    from kb.knowledge.features import new_features

    character_index = state.add(character_entry)
    chosen = new_features(info, KbFeaturePart(part), present_keys(state), tables)
    own_features = {text.lower() for text in (*features_of(info, "appearance"), *features_of(info, "outfit"))}
    position = character_index + 1
    while position < len(state.entries) and state.entries[position].text.lower() in own_features:
        position += 1
    cursor = character_index
    for text in chosen.added:
        cursor = state.insert(position, BuilderEntry(text, FEATURE_KIND, 1.0, to_canonical(text)))
        position = cursor + 1
    return FeaturesAdded(
        state.entries[character_index].text, part, chosen.added, chosen.already_there, cursor, chosen.implied
    )
