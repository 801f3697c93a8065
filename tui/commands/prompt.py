"""`aidxl prompt ...`, `aidxl char` and `aidxl size`.

The prompt group's subcommands come from two modules so the syntax tools (parse, render,
assemble) and the checks (lint, tokens) can grow independently.
"""

from __future__ import annotations

import argparse
from typing import Any

from tui.commands import prompt_check, prompt_import, prompt_syntax


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    prompt = subparsers.add_parser(
        "prompt",
        parents=[common],
        help="parse, render, assemble, import, lint and token-count A1111 prompts",
        description="Work with prompts in the A1111 web UI's syntax. Text comes from the argument, "
        "or from stdin when the argument is omitted or '-'.",
    )
    prompt_subparsers = prompt.add_subparsers(dest="prompt_command", metavar="SUBCOMMAND", required=True)
    prompt_syntax.register_prompt_subcommands(prompt_subparsers, common)
    prompt_check.register_prompt_subcommands(prompt_subparsers, common)
    prompt_import.register_prompt_subcommands(prompt_subparsers, common)
    prompt_syntax.register_top_level(subparsers, common)
