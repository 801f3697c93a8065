"""A page's A1111-style `parameters` text, and the spec read back from it.

The web UI's X/Y/Z plot writes the first cell's parameters plus its script fields into a grid;
a page here does the same in A1111 infotext form, so PNG Info and civitai show the shared
settings, and adds `Sheet ...` fields holding the rows, seeds and bases as JSON, which is enough
to rebuild the spec (`spec_from_parameters`) and check it against the `Sheet hash` field.
"""

from __future__ import annotations

import json
import re

from kb.errors import SheetSpecError
from kb.sheets.prompts import build_cell_prompt
from kb.sheets.render_cells import (
    NOISE_SOURCE,
    emphasis_from_infotext,
    emphasis_infotext_name,
    format_parameters,
    parse_parameters,
    sampler_from_fields,
    sampler_infotext_fields,
)
from kb.sheets.spec import BasePrompt, SheetRow, SheetSpec, parse_size, spec_hash, validate_spec


def format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def page_parameters(
    spec: SheetSpec,
    *,
    page_number: int,
    page_count: int,
    model_name: str,
    model_hash: str,
    version: str,
) -> str:
    """The infotext of one page: first style's prompt, shared settings, and the sheet fields."""
    first_style = spec.rows[0].style if spec.rows else None
    positive = build_cell_prompt(spec.bases[0].prompt, first_style, position=spec.style_position)
    fields: list[tuple[str, str]] = [
        ("Steps", str(spec.steps)),
        *sampler_infotext_fields(spec.sampler),
        ("CFG scale", format_number(spec.cfg_scale)),
        ("Seed", str(spec.seeds[0])),
        ("Size", spec.size_text),
        ("Model hash", model_hash),
        ("Model", model_name),
        ("RNG", NOISE_SOURCE),
        ("Emphasis", emphasis_infotext_name(spec.emphasis)),
        ("Version", version),
        ("Sheet hash", spec_hash(spec)),
        ("Sheet page", f"{page_number}/{page_count}"),
        ("Sheet title", spec.title),
        ("Sheet model", spec.model),
        ("Sheet rows", json.dumps([[row.style, row.name] for row in spec.rows], ensure_ascii=False)),
        ("Sheet seeds", ",".join(str(seed) for seed in spec.seeds)),
        ("Sheet bases", json.dumps([[base.prompt, base.name] for base in spec.bases], ensure_ascii=False)),
        ("Sheet baseline", "true" if spec.baseline else "false"),
        ("Sheet style position", spec.style_position),
        ("Sheet layout", f"{spec.page_rows} rows per page, {spec.cell_px} px cells"),
    ]
    if spec.controls:
        fields.append(("Sheet controls", str(spec.controls)))
    return format_parameters(positive, spec.negative, fields)


_LAYOUT = re.compile(r"^(\d+) rows per page, (\d+) px cells$")


def spec_from_parameters(text: str) -> SheetSpec:
    """Rebuild the spec from a page's infotext; refuses text whose `Sheet hash` does not match."""
    _positive, negative, fields = parse_parameters(text)
    try:
        width, height = parse_size(fields["Size"], where="parameters Size")
        layout = _LAYOUT.match(fields["Sheet layout"])
        if layout is None:
            raise SheetSpecError(f"parameters: Sheet layout {fields['Sheet layout']!r} is not understood")
        spec = SheetSpec(
            rows=tuple(SheetRow(style=style, name=name) for style, name in json.loads(fields["Sheet rows"])),
            seeds=tuple(int(seed) for seed in fields["Sheet seeds"].split(",")),
            bases=tuple(
                BasePrompt(prompt=prompt, name=name) for prompt, name in json.loads(fields["Sheet bases"])
            ),
            negative=negative,
            baseline=fields["Sheet baseline"] == "true",
            style_position=fields["Sheet style position"],
            sampler=sampler_from_fields(fields),
            steps=int(fields["Steps"]),
            cfg_scale=float(fields["CFG scale"]),
            width=width,
            height=height,
            emphasis=emphasis_from_infotext(fields["Emphasis"]),
            model=fields["Sheet model"],
            title=fields.get("Sheet title", ""),  # an empty title is not written
            page_rows=int(layout.group(1)),
            cell_px=int(layout.group(2)),
            controls=int(fields.get("Sheet controls", "0")),
        )
    except KeyError as missing:
        raise SheetSpecError(f"parameters: field {missing.args[0]!r} is missing; not a sheet page") from None
    except (ValueError, json.JSONDecodeError) as error:
        raise SheetSpecError(f"parameters: a sheet field is malformed ({error})") from None
    validate_spec(spec, where="parameters")
    if spec_hash(spec) != fields.get("Sheet hash"):
        raise SheetSpecError(
            f"parameters: the fields give spec hash {spec_hash(spec)}, "
            f"the page says {fields.get('Sheet hash')}"
        )
    return spec
