"""Importing a prompt: pasted text, a web-UI infotext or a PNG → what the builder would hold.

`import_prompt` is the one paste path: `aidxl prompt import` prints its result and the explorer's
paste puts it in the builder. The import is lossless: the positive prompt the builder renders from
the entries (`ImportedPrompt.positive`) reads, tag by tag, exactly as the pasted prompt does
(`kb.prompt.segments.attention_vector`, property-tested): tags keep the brackets they were
written with, syntax (prompt editing, alternation, extra networks, `BREAK`, `AND`, brackets left
open) is kept verbatim and in place, the user's order and repeats are kept, and nothing is
"repaired": traps (an emoticon's open bracket, `long_hair`, an unescaped qualifier) come back as
lint findings with fixes, for the user to apply.

An infotext's `Negative prompt:` line and settings line (steps, sampler and schedule type, CFG
scale, seed, size, clip skip) become the draft's negative and `GenerationSettings`. A PNG is read
through its web-UI `parameters` chunk, else a ComfyUI graph (`prompt` chunk) whose one sampler's
positive and negative inputs lead to text encoders with literal text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kb.errors import AidxlError, SettingsError
from kb.knowledge.tagforms import to_canonical
from kb.prompt.infotext import Infotext, pasted_prompt
from kb.prompt.lint import Finding
from kb.prompt.render import TAG_SEPARATOR, emphasis_weight
from kb.prompt.segments import split_segments
from kb.prompt.tagview import MatchKind, NoCatalogMatcher, TagMatch, TagMatcher
from kb.schema import KIND_OF_CATEGORY, Category, TriggerKind
from kb.settings import (
    SAMPLERS,
    GenerationSettings,
    parse_size,
    sampler_from_comfyui,
    sampler_from_infotext,
)
from kb.workbench.draft import SYNTAX_KIND, UNKNOWN_KIND, DraftEntry, PromptDraft
from kb.workbench.linting import LintContext, lint_text

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class PromptImportError(AidxlError):
    """A file that cannot be imported (not a PNG, no prompt in it, ambiguous ComfyUI graph)."""


@dataclass(frozen=True)
class ImportedPrompt:
    """What importing gives the builder, and what `aidxl prompt import` prints."""

    entries: tuple[DraftEntry, ...]
    positive: str  # the builder's rendering of `entries` (user's order, no added tags)
    negative: str | None  # the infotext's negative prompt; None when the text had none
    settings: GenerationSettings | None  # from the settings line; None when there was none
    fields: tuple[tuple[str, str], ...]  # every settings-line field as read
    findings: tuple[Finding, ...]  # lint of `positive`, as `aidxl prompt lint` gives them
    notes: tuple[str, ...]  # settings that could not be taken over, and why
    source: str  # "prompt", "infotext", "png parameters" or "png comfyui"

    def draft(self, into: PromptDraft | None = None, *, append: bool = False) -> PromptDraft:
        """The builder after the import: `into` with the entries appended (its toggles, negative and
        settings stay unless the import has its own), or a draft that renders exactly the pasted
        prompt (user's order, no quality or aesthetic tags added)."""
        base = into.snapshot() if into is not None else PromptDraft()
        if append and into is not None:
            base.entries.extend(self.entries)
        else:
            base.entries = list(self.entries)
            base.auto_order = False
            base.include_quality = False
            base.include_aesthetic = False
        if self.negative is not None:
            base.negative = self.negative
        if self.settings is not None:
            base.settings = self.settings
        return base

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "entries": [
                {
                    "text": entry.text,
                    "kind": entry.kind,
                    "weight": entry.weight,
                    "emphasis": list(entry.emphasis),
                    "tag": entry.tag,
                    "known": entry.known,
                    "prompt": entry.prompt_text(),
                }
                for entry in self.entries
            ],
            "positive": self.positive,
            "negative": self.negative,
            "settings": None if self.settings is None else self.settings.to_json(),
            "fields": dict(self.fields),
            "findings": [finding.to_json() for finding in self.findings],
            "notes": list(self.notes),
        }


def entry_kind(match: TagMatch) -> str:
    if match.kind is MatchKind.UNKNOWN:
        return UNKNOWN_KIND
    if match.trigger_kind is not None:
        return str(match.trigger_kind)
    if match.category is not None:
        try:
            return KIND_OF_CATEGORY.get(Category(match.category), TriggerKind.GENERAL).value
        except ValueError:
            return TriggerKind.GENERAL.value
    return TriggerKind.GENERAL.value


def prompt_entries(
    prompt: str, matcher: TagMatcher | None = None, context: LintContext | None = None
) -> list[DraftEntry]:
    """The builder entries of a prompt, meaning kept (see the module docstring); unknown tags get
    the catalog search's "did you mean" when `context` has a suggester."""
    segments = split_segments(prompt)
    matcher = matcher or (context.matcher if context is not None else NoCatalogMatcher())
    plain = [tag for segment in segments for tag in segment.tags or ()]
    matches = iter(matcher.match_all([to_canonical(tag.text) for tag in plain]))
    entries: list[DraftEntry] = []
    for segment in segments:
        if segment.tags is None:
            entries.append(DraftEntry(segment.source, SYNTAX_KIND))
            continue
        for tag in segment.tags:
            match = next(matches)
            kind = entry_kind(match)
            suggestions: tuple[str, ...] = ()
            if kind == UNKNOWN_KIND and context is not None:
                suggestions = tuple(context.suggester(tag.text))
            entries.append(
                DraftEntry(
                    tag.text,
                    kind,
                    emphasis_weight(tag.emphasis),
                    match.tag,
                    kind != UNKNOWN_KIND,
                    suggestions,
                    tag.emphasis,
                )
            )
    return entries


def entries_prompt(entries: list[DraftEntry]) -> str:
    """The positive prompt entries render to in the user's order (the builder without auto-order)."""
    return TAG_SEPARATOR.join(text for text in (entry.prompt_text() for entry in entries) if text)


def import_prompt(text: str, context: LintContext | None = None) -> ImportedPrompt:
    """Pasted text (a prompt or a whole infotext) → entries, rendered positive, negative, settings,
    lint findings. Never raises on any text."""
    prompt, infotext = pasted_prompt(text)
    return _imported(prompt.strip(), infotext, context, "infotext" if infotext is not None else "prompt")


def _imported(
    prompt: str, infotext: Infotext | None, context: LintContext | None, source: str
) -> ImportedPrompt:
    entries = prompt_entries(prompt, context=context)
    positive = entries_prompt(entries)
    settings, notes = (
        settings_from_fields(infotext.settings) if infotext is not None and infotext.settings else (None, ())
    )
    negative = infotext.negative_prompt if infotext is not None else None
    return ImportedPrompt(
        tuple(entries),
        positive,
        negative,
        settings,
        infotext.settings if infotext is not None else (),
        tuple(lint_text(positive, context)),
        tuple(notes),
        source,
    )


def settings_from_fields(fields: tuple[tuple[str, str], ...]) -> tuple[GenerationSettings, list[str]]:
    """A settings line's fields → `GenerationSettings` (defaults for what it lacks) and notes on
    what could not be read."""
    values = dict(fields)
    settings = GenerationSettings()
    notes: list[str] = []

    def number(key: str, kind: type[int] | type[float]) -> int | float | None:
        if key not in values:
            return None
        try:
            return kind(values[key])
        except ValueError:
            notes.append(f"{key}: {values[key]!r} is not a number; kept {kind.__name__} default")
            return None

    steps = number("Steps", int)
    cfg_scale = number("CFG scale", float)
    seed = number("Seed", int)
    clip_skip = number("Clip skip", int)
    if steps is not None:
        settings = replace(settings, steps=int(steps))
    if cfg_scale is not None:
        settings = replace(settings, cfg_scale=float(cfg_scale))
    if seed is not None:
        settings = replace(settings, seed=int(seed))
    if clip_skip is not None:
        settings = replace(settings, clip_skip=int(clip_skip))
    if "Size" in values:
        try:
            width, height = parse_size(values["Size"])
            settings = replace(settings, width=width, height=height)
        except AidxlError as error:
            notes.append(str(error))
    if "Sampler" in values:
        schedule = values.get("Schedule type")
        try:
            settings = replace(settings, sampler=sampler_from_infotext(values["Sampler"], schedule).name)
        except SettingsError:
            written = values["Sampler"] + (f" {schedule}" if schedule and schedule != "Automatic" else "")
            settings = replace(settings, sampler=written)
            notes.append(
                f"sampler {written!r} is not one previews can run ({', '.join(SAMPLERS)}); kept as written"
            )
    return settings, notes


# ------------------------------------------------------------------ files


def is_png_file(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(PNG_SIGNATURE)) == PNG_SIGNATURE
    except OSError:
        return False


def pasted_png_path(text: str) -> Path | None:
    """A pasted PNG path (quotes and `file://` allowed), when it names a PNG file; else None."""
    candidate = text.strip().strip("'\"")
    candidate = candidate.removeprefix("file://")
    if not candidate or "\n" in candidate or len(candidate) > 4096:
        return None
    try:
        path = Path(candidate).expanduser()
        return path if path.is_file() and is_png_file(path) else None
    except (OSError, ValueError):  # a name part over 255 bytes, a NUL: text, not a file
        return None


def import_image(path: Path, context: LintContext | None = None) -> ImportedPrompt:
    """A PNG's prompt: its web-UI `parameters` text, else an unambiguous ComfyUI graph."""
    from PIL import Image, UnidentifiedImageError

    if not is_png_file(path):
        raise PromptImportError(f"{path}: not a PNG file")
    try:
        with Image.open(path) as image:
            image.load()
            chunks = {str(key): value for key, value in image.info.items() if isinstance(value, str)}
    except (OSError, UnidentifiedImageError, SyntaxError) as error:
        raise PromptImportError(f"{path}: cannot read the PNG: {error}") from error
    parameters = chunks.get("parameters")
    if parameters is not None:
        prompt, infotext = pasted_prompt(parameters)
        return _imported(prompt.strip(), infotext, context, "png parameters")
    if "prompt" in chunks:
        infotext = comfyui_infotext(path, chunks["prompt"])
        return _imported(infotext.prompt.strip(), infotext, context, "png comfyui")
    raise PromptImportError(f"{path}: no web-UI `parameters` or ComfyUI `prompt` chunk")


def comfyui_infotext(path: Path, graph_text: str) -> Infotext:
    """The positive and negative text and the settings of a ComfyUI API graph with one sampler
    whose `positive` and `negative` inputs lead to nodes with literal `text`."""
    try:
        graph = json.loads(graph_text)
    except json.JSONDecodeError as error:
        raise PromptImportError(f"{path}: ComfyUI `prompt` chunk is not JSON: {error}") from error
    if not isinstance(graph, dict):
        raise PromptImportError(f"{path}: ComfyUI `prompt` chunk is not a node graph")
    samplers = [
        node
        for node in graph.values()
        if isinstance(node, dict)
        and isinstance(node.get("inputs"), dict)
        and {"positive", "negative"} <= set(node["inputs"])
    ]
    if len(samplers) != 1:
        raise PromptImportError(
            f"{path}: ComfyUI graph has {len(samplers)} samplers with positive and negative inputs; "
            "cannot tell which prompt is the image's"
        )
    inputs = samplers[0]["inputs"]

    def linked(value: object) -> dict[str, Any] | None:
        if isinstance(value, list) and value and str(value[0]) in graph:
            node = graph[str(value[0])]
            return node if isinstance(node, dict) else None
        return None

    def text_of(name: str) -> str:
        node = linked(inputs.get(name))
        text = node.get("inputs", {}).get("text") if node is not None else None
        if not isinstance(text, str):
            raise PromptImportError(f"{path}: the sampler's {name} input does not lead to literal text")
        return text

    fields: list[tuple[str, str]] = []
    for key, field_name in (("steps", "Steps"), ("cfg", "CFG scale"), ("seed", "Seed")):
        if isinstance(inputs.get(key), int | float) and not isinstance(inputs.get(key), bool):
            fields.append((field_name, f"{inputs[key]:g}" if key == "cfg" else str(int(inputs[key]))))
    sampler_name, scheduler = inputs.get("sampler_name"), inputs.get("scheduler")
    if isinstance(sampler_name, str):
        known = sampler_from_comfyui(sampler_name, str(scheduler))
        fields.append(("Sampler", known.name if known is not None else f"{sampler_name} {scheduler}"))
    latent = linked(inputs.get("latent_image"))
    if latent is not None:
        width, height = latent.get("inputs", {}).get("width"), latent.get("inputs", {}).get("height")
        if isinstance(width, int) and isinstance(height, int):
            fields.append(("Size", f"{width}x{height}"))
    return Infotext(text_of("positive"), text_of("negative"), tuple(fields))


def import_source(argument: str, context: LintContext | None = None) -> ImportedPrompt:
    """What `aidxl prompt import` and the explorer's paste take: a PNG path, else prompt text."""
    path = pasted_png_path(argument)
    return import_image(path, context) if path is not None else import_prompt(argument, context)
