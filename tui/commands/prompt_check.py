"""`aidxl prompt lint` and `aidxl prompt tokens`: the checks on a prompt.

Both are thin layers over `kb.prompt.lint.lint_prompt` and `kb.prompt.tokens.count_prompt_tokens`; neither
imports torch (the token counter reads the CLIP vocabulary file directly).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from kb.display_text import shortened
from tui.commands.text_input import read_prompt_argument
from tui.state.wording import counted as counted_noun

FOUND_SHOWN = 60  # characters of a fix's span shown in `replace ... with ...`


def register_prompt_subcommands(prompt_subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add `lint` and `tokens` under `aidxl prompt`."""
    lint = prompt_subparsers.add_parser(
        "lint",
        parents=[common],
        help="find what the web UI would misread in a prompt, with fixes",
        description="Check a prompt: underscores, unescaped qualifier brackets, emoticon bracket traps, "
        "weights out of range, duplicates, chunk borders inside a tag, tag order, other models' quality "
        "words (masterpiece, score_9) with AIDXL's nearest rung, and (with a catalog) tags another tag "
        "implies (the model author's table), unknown tags with suggestions and unverified triggers. "
        "Exit code 1 when an error is found.",
    )
    _add_text_arguments(lint)
    lint.set_defaults(run=run_lint)

    tokens = prompt_subparsers.add_parser(
        "tokens",
        parents=[common],
        help="count CLIP tokens (N/M) and show the 75-token chunk borders",
        description="Count a prompt's CLIP tokens as the A1111 web UI does: extra networks (<lora:...>) "
        "removed, AND parts and every step of prompt editing ([a:b:0.5]) and alternation ([a|b]) "
        "expanded for --steps, text cleaned as CLIP's tokenizer does (ftfy); 75 per chunk, text after a "
        "comma within the last 20 tokens moves to the next chunk, BREAK closes a chunk. Prints the "
        "largest N/M (the web UI's), where each chunk of that text starts, the tag a border cuts, and "
        "each tag's token cost; --json also lists the per-step texts when they differ.",
    )
    _add_text_arguments(tokens)
    tokens.add_argument(
        "--steps",
        type=_positive_int,
        default=None,
        metavar="N",
        help="sampling steps the schedules are expanded for (default: the default settings' steps)",
    )
    tokens.add_argument(
        "--negative",
        action="store_true",
        help="count as the negative prompt box does (AND is not a separator there)",
    )
    tokens.set_defaults(run=run_tokens)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value}: must be at least 1")
    return value


def register_top_level(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """No top-level commands here."""


def _add_text_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "text", nargs="?", default="-", metavar="TEXT", help="the prompt; read from stdin when omitted or '-'"
    )
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")


def run_tokens(args: argparse.Namespace) -> int:
    from kb.prompt.tokens import count_prompt_tokens

    report = count_prompt_tokens(
        read_prompt_argument(args.text)[0],
        steps=getattr(args, "steps", None),
        negative=getattr(args, "negative", False),
    )
    if args.json:
        print(json.dumps(tokens_to_json(report), ensure_ascii=False))
        return 0
    print(f"{report.count}/{report.target}")
    if report.texts_differ and report.counted is not None:
        counted = report.counted
        print(
            f"longest of {len(report.texts)} texts ({report.steps} steps): AND part {counted.part + 1}, "
            f"steps up to {counted.end_step}: {counted.text!r}"
        )
    for chunk in report.chunks:
        line = f"chunk {chunk.index + 1}: {counted_noun(chunk.tokens, 'token')}"
        if chunk.source_start is not None:
            line += f", from token {chunk.start} at prompt position {chunk.source_start}"
        if chunk.split_tag is not None:
            line += f"; the border cuts `{shortened(chunk.split_tag.text)}`"
        print(line)
    if report.tags:
        print("tokens per tag:")
        width = len(str(max(tag.tokens for tag in report.tags)))
        for tag in report.tags:
            print(f"  {tag.tokens:>{width}}  {tag.text}")
        if report.separator_tokens:
            print(f"  {report.separator_tokens:>{width}}  (separators)")
    return 0


def tokens_to_json(report: Any) -> dict[str, object]:
    """The report as JSON; a chunk's `split_tag` is the cut tag's index in `tags` with its span and
    cost (its text is in `tags`: a long tag is cut by many borders, and repeating it per border made
    the output grow with the square of the prompt)."""

    def tag_json(tag: Any) -> dict[str, object]:
        return {"text": tag.text, "start": tag.start, "end": tag.end, "tokens": tag.tokens}

    tag_index = {(tag.start, tag.end): index for index, tag in enumerate(report.tags)}

    def split_tag_json(tag: Any) -> dict[str, object]:
        index = tag_index.get((tag.start, tag.end))
        return {"tag": index, "start": tag.start, "end": tag.end, "tokens": tag.tokens}

    result: dict[str, object] = {
        "count": report.count,
        "target": report.target,
        "steps": report.steps,
        "chunks": [
            {
                "index": chunk.index,
                "start": chunk.start,
                "tokens": chunk.tokens,
                "source_start": chunk.source_start,
                "split_tag": None if chunk.split_tag is None else split_tag_json(chunk.split_tag),
            }
            for chunk in report.chunks
        ],
        "tags": [tag_json(tag) for tag in report.tags],
        "separator_tokens": report.separator_tokens,
    }
    if report.texts_differ:
        # What the web UI counts: each AND part's text for the steps up to end_step.
        result["texts"] = [
            {
                "part": text.part,
                "weight": text.weight,
                "end_step": text.end_step,
                "text": text.text,
                "count": text.count,
            }
            for text in report.texts
        ]
        counted = report.counted
        result["counted"] = None if counted is None else {"part": counted.part, "end_step": counted.end_step}
    return result


def run_lint(args: argparse.Namespace) -> int:
    from kb.errors import CatalogError
    from kb.prompt.lint import Severity
    from kb.workbench.linting import lint_context, lint_text

    text, _ = read_prompt_argument(args.text)
    connection = None
    try:
        from kb.catalog import open_catalog
        from kb.paths import resolve_catalog_path

        connection = open_catalog(resolve_catalog_path(getattr(args, "catalog", None)))
    except CatalogError as error:
        print(
            f"aidxl: note: {error}; linting without it (no unknown-tag or trigger checks)",
            file=sys.stderr,
        )
    try:
        # the one way prompts are linted: the explorer's builder and `aidxl prompt import` use it too
        findings = lint_text(text, lint_context(connection))
    finally:
        if connection is not None:
            connection.close()
    from kb.prompt.clip_vocab import vocabulary_error

    # Already found (or not) by the linter's chunk check: this asks nothing new of the Hub.
    missing_vocabulary = vocabulary_error()
    if missing_vocabulary is not None:
        print(
            f"aidxl: note: {missing_vocabulary}; linted without the token checks (chunk borders)",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps([finding.to_json() for finding in findings], ensure_ascii=False))
    else:
        for finding in findings:
            print(f"{finding.start}-{finding.end} {finding.severity} {finding.code}: {finding.message}")
            if finding.fix is not None:
                print(f"    fix: {describe_fix(text[finding.start : finding.end], finding.fix)}")
        if not findings:
            print("no findings", file=sys.stderr)
    return 1 if any(finding.severity == Severity.ERROR for finding in findings) else 0


def describe_fix(found: str, replacement: str) -> str:
    """The fix as it is to be pasted: "replace `:(` with `:\\(`", "remove `long hair, `"."""
    found = shortened(found, FOUND_SHOWN)  # the span names it; the whole of it may be the prompt
    if not replacement:
        return f"remove {code_span(found)}"
    if not found:
        return f"insert {code_span(replacement)}"
    return f"replace {code_span(found)} with {code_span(replacement)}"


def code_span(text: str) -> str:
    """`text` between backticks, exactly as written (no escaping): a text that holds backticks gets a
    longer fence, and a space inside it when it starts or ends with one (as Markdown reads it)."""
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"
