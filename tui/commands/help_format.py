"""The `--help` layout for descriptions and epilogs that hold examples as well as prose."""

from __future__ import annotations

import argparse
import textwrap


class ProseAndExamplesFormatter(argparse.HelpFormatter):
    """Wraps prose to the terminal, paragraph by paragraph (blank lines between them are kept), and
    keeps lines that start with a space as written: examples and commands stay copyable.

    argparse's RawDescriptionHelpFormatter keeps *everything* as written, so a long prose line
    runs off the terminal; the default formatter joins everything, examples included."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n\n".join(
            _fill_paragraph(paragraph, width, indent) for paragraph in text.strip("\n").split("\n\n")
        )


def _fill_paragraph(paragraph: str, width: int, indent: str) -> str:
    """Runs of prose lines joined and wrapped; indented lines kept as they are."""
    lines: list[str] = []
    prose: list[str] = []
    for line in [*paragraph.splitlines(), None]:
        if line is not None and not line.startswith(" "):
            prose.append(line.strip())
            continue
        if prose:
            lines.append(
                textwrap.fill(" ".join(prose), width, initial_indent=indent, subsequent_indent=indent)
            )
            prose = []
        if line is not None:
            lines.append(indent + line.rstrip())
    return "\n".join(lines)


def sampler_help() -> str:
    """`--sampler`'s help, the same in `aidxl preview` and `aidxl sheet` (kb.settings.SAMPLERS)."""
    from kb.settings import DEFAULT_SAMPLER, SAMPLERS

    return f"sampler: {' or '.join(repr(name) for name in SAMPLERS)} (default: {DEFAULT_SAMPLER})"


def steps_help() -> str:
    """`--steps`' help: each sampler's own default step count."""
    from kb.settings import SAMPLERS

    defaults = ", ".join(f"{sampler.default_steps} {name}" for name, sampler in SAMPLERS.items())
    return f"denoising steps (default: the sampler's, {defaults})"
