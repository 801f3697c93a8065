"""What the catalog knows about one character: the forms AIDXL was trained on, its gender, copyright,
main characteristics and outfit, and the source of each fact.

One function (`character_info`) serves `aidxl char`, the explorer's detail pane and prompt assembly
(`--with-features`, `--outfit-of`). The forms come from the catalog's `characters.form` (the model
author's caption form when the author's vocabulary has one: `frieren (sousou no frieren)` for the
Danbooru tag `frieren`), the sentence noun from `character_genders` (a chant's `1girl` / `1boy`),
the features from `character_features`, in the author's caption order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kb.catalog import SourceRef, source_ref
from kb.knowledge.characters import CharacterForms, catalog_series_resolver, character_forms, with_copyright
from kb.knowledge.tagforms import to_canonical, to_prompt_form
from kb.schema import Category

if TYPE_CHECKING:
    import duckdb

DEFAULT_SENTENCE_NOUN = "girl"  # the card's own examples; used when no source gives the gender
SENTENCE_NOUN_OF_GENDER = {"girl": "girl", "boy": "boy"}


@dataclass(frozen=True)
class CharacterFeatures:
    """A character's core tags in A1111 prompt form, each part in the author's caption order."""

    appearance: tuple[str, ...]
    outfit: tuple[str, ...]
    source: SourceRef | None  # the chant file they come from; None when no source has any

    def to_json(self) -> dict[str, Any]:
        return {"appearance": list(self.appearance), "outfit": list(self.outfit)}


@dataclass(frozen=True)
class CharacterInfo:
    tag: str  # canonical Danbooru tag: frieren
    forms: CharacterForms  # built from the form the model knows
    gender: str | None  # girl | boy | other; None when no source says
    noun: str  # the sentence's noun actually used: girl | boy
    form_source: SourceRef | None  # None only in a catalog without a characters row for the tag
    copyright_source: SourceRef | None
    gender_source: SourceRef | None
    features: CharacterFeatures

    def sources_json(self) -> dict[str, Any]:
        form = _ref_json(self.form_source)
        return {
            "a1111": form,
            "plain": form,
            "prefixed": form,
            "sentence": {"form": form, "gender": _ref_json(self.gender_source)},
            "copyright": _ref_json(self.copyright_source),
            "gender": _ref_json(self.gender_source),
            "features": _ref_json(self.features.source),
        }


def _ref_json(ref: SourceRef | None) -> dict[str, Any] | None:
    return ref.to_json() if ref is not None else None


def character_features(connection: duckdb.DuckDBPyConnection, tag_id: int) -> CharacterFeatures:
    """The features of the first source that has any for this character (sources in ingest order)."""
    rows = connection.execute(
        """
        SELECT source_id, part, feature FROM character_features
        WHERE tag_id = ? AND source_id = (SELECT min(source_id) FROM character_features WHERE tag_id = ?)
        ORDER BY part, position
        """,
        [tag_id, tag_id],
    ).fetchall()
    if not rows:
        return CharacterFeatures((), (), None)
    appearance = tuple(to_prompt_form(feature) for _, part, feature in rows if part == "appearance")
    outfit = tuple(to_prompt_form(feature) for _, part, feature in rows if part == "outfit")
    return CharacterFeatures(appearance, outfit, source_ref(connection, int(rows[0][0])))


def character_info(
    connection: duckdb.DuckDBPyConnection, tag: str, *, noun: str | None = None
) -> CharacterInfo | None:
    """Everything known about the character tag `tag` (any pasted form), or None when it is not a
    character of the catalog. `noun` (`girl`/`boy`) overrides the gender the sources give."""
    row = connection.execute(
        """
        SELECT t.tag_id, t.name, coalesce(c.form, t.name), c.form_source_id, c.copyright_source_id,
            c.copyright
        FROM tags t LEFT JOIN characters c USING (tag_id)
        WHERE t.name = ? AND t.category = ?
        """,
        [to_canonical(tag), int(Category.CHARACTER)],
    ).fetchone()
    if row is None:
        return None
    tag_id, name, form, form_source_id, copyright_source_id, stored_copyright = row
    gender_row = connection.execute(
        "SELECT gender, source_id FROM character_genders WHERE tag_id = ? ORDER BY source_id LIMIT 1",
        [tag_id],
    ).fetchone()
    gender = str(gender_row[0]) if gender_row is not None else None
    chosen_noun = noun or SENTENCE_NOUN_OF_GENDER.get(gender or "", DEFAULT_SENTENCE_NOUN)
    forms = character_forms(form, gender=chosen_noun, series_resolver=catalog_series_resolver(connection))
    if forms.copyright is None and stored_copyright is not None:
        forms = with_copyright(forms, str(stored_copyright))  # named by its aliases (ingest/writer.py)
    form_source = source_ref(connection, form_source_id)
    return CharacterInfo(
        tag=str(name),
        forms=forms,
        gender=gender,
        noun=chosen_noun,
        form_source=form_source,
        copyright_source=source_ref(connection, copyright_source_id) if forms.copyright else None,
        gender_source=source_ref(connection, int(gender_row[1])) if gender_row is not None else None,
        features=character_features(connection, int(tag_id)),
    )
