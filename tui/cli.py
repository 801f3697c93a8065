"""`aidxl`: the command line. Each command is a few lines over a typed function in kb/ or ingest/.

Results go to stdout, diagnostics to stderr. Errors the user can fix exit with code 2 and one
clear line, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from collections.abc import Sequence

from kb.errors import AidxlError
from tui.commands.help_format import ProseAndExamplesFormatter
from tui.commands.visible_output import visible_output

# Test hook (see `_pause_for_tests`).
PAUSE_BEFORE_COMMAND_IMPORT_ENV = "AIDXL_PAUSE_BEFORE_COMMAND_IMPORT"
# Command groups, in the order `aidxl --help` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "tui.commands.ingest",
    "tui.commands.sources",
    "tui.commands.search",
    "tui.commands.prompt",
    "tui.commands.preview",
    "tui.commands.sheet",
    "tui.commands.export",
    "tui.commands.discover",
)
# Which module registers each top-level command: a run of one command imports only its own
# module, so `aidxl prompt tokens` does not pay for duckdb, numpy or the search index.
MODULE_OF_COMMAND: dict[str, str] = {
    "ingest": "tui.commands.ingest",
    "stats": "tui.commands.ingest",
    "sources": "tui.commands.sources",
    "search": "tui.commands.search",
    "prompt": "tui.commands.prompt",
    "char": "tui.commands.prompt",
    "size": "tui.commands.prompt",
    "preview": "tui.commands.preview",
    "sheet": "tui.commands.sheet",
    "export": "tui.commands.export",
    "import": "tui.commands.export",
    "discover": "tui.commands.discover",
}


EXPLORE_DESCRIPTION = """\
Open the Textual explorer on the catalog (--catalog, else the default below): search triggers and
tags as you type, read each one's prompt forms and sources, build a prompt in the model card's
order with lint findings and token counts, copy it, preview it. `aidxl` with no command opens it too.

keys to start with:
  F1 or ?   every key, screen by screen
  ctrl+p    the command palette: every action by name
  ctrl+b    switch between search and the prompt builder
  enter     add the highlighted result to the prompt
  ctrl+q    quit

Without a usable catalog it says why and offers to build one (`i` runs `aidxl ingest`).
"""


def common_options() -> argparse.ArgumentParser:
    """Options every command accepts, before or after the command name."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--catalog",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="catalog file (default: $AIDXL_CATALOG, else ./catalog.duckdb in a checkout, "
        "else $XDG_DATA_HOME/aidxl-kb/catalog.duckdb)",
    )
    return common


def requested_command(argv: Sequence[str]) -> str | None:
    """The command name in argv (skipping global options and their values), if any."""
    tokens = iter(argv)
    for token in tokens:
        if token == "--catalog":
            next(tokens, None)
        elif not token.startswith("-"):
            return token
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The full parser, or, when argv names a known command, one holding just that command's group."""
    command = requested_command(argv) if argv is not None else None
    wants_help = argv is not None and any(token in ("-h", "--help") for token in argv)
    if command in MODULE_OF_COMMAND:
        module_names: tuple[str, ...] = (MODULE_OF_COMMAND[command],)
    elif argv is not None and not wants_help and command in (None, "explore"):
        module_names = ()  # the explorer starts fast: no command group is imported
    else:
        module_names = COMMAND_MODULES
    _pause_for_tests()
    common = common_options()
    parser = argparse.ArgumentParser(
        prog="aidxl",
        description="Trigger-word knowledge base and explorer for Anime Illust Diffusion XL. "
        "With no command, opens the explorer.",
        epilog="`aidxl COMMAND --help` describes a command. Start with `aidxl ingest --config "
        "sources.toml` in a checkout (or `aidxl ingest --fetch`), then `aidxl` or `aidxl search QUERY`.",
        parents=[common],
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    explore = subparsers.add_parser(
        "explore",
        parents=[common],
        help="open the Textual explorer (the default command)",
        description=EXPLORE_DESCRIPTION,
        formatter_class=ProseAndExamplesFormatter,
    )
    explore.add_argument(
        "--model",
        metavar="PATH|ID|tiny-random",
        help="model for previews and sheets: an SDXL .safetensors file, a diffusers folder, a Hub id in "
        "the local cache, or tiny-random (random weights, for tests); default: $AIDXL_MODEL, else "
        "`model` under [generate] in the config file. The settings dialog (s) changes it.",
    )
    explore.add_argument(
        "--keep-search",
        action="store_true",
        help="keep the search box's text after Enter adds a result (default: cleared for the next search)",
    )
    explore.set_defaults(run=run_explorer)
    for module_name in module_names:
        importlib.import_module(module_name).register(subparsers, common)
    return parser


def _pause_for_tests() -> None:
    """Test hook: stop before the command's modules load (duckdb, numpy: the slow part of a start), say
    so on stderr and wait for a signal; tests send Ctrl-C there (tests/test_hardening_interrupt.py)."""
    if os.environ.get(PAUSE_BEFORE_COMMAND_IMPORT_ENV):
        print("aidxl: paused before loading the command", file=sys.stderr, flush=True)
        signal.pause()


def run_explorer(args: argparse.Namespace) -> int:
    from tui.app import run_app

    model = getattr(args, "model", None)
    if model:  # a model that cannot load: one sentence now (exit 2), not at the first preview
        from kb.generate.model_choice import check_model_choice

        check_model_choice(model)
    return run_app(
        getattr(args, "catalog", None), keep_search=getattr(args, "keep_search", False), model=model
    )


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    args: argparse.Namespace | None = None
    try:
        # Inside the try: Ctrl-C while the command's modules load, and a text option's type check
        # (tui.commands.text_input), which raises AidxlError. Names and prompts never drive the
        # terminal (ESC, BEL, U+202E ...): see visible_output.
        parser = build_parser(arguments)
        with visible_output():
            args = parser.parse_args(arguments)
        run = getattr(args, "run", run_explorer)
        if run is run_explorer:  # Textual draws on the real streams; its widgets escape names
            return int(run(args) or 0)
        with visible_output():
            return int(run(args) or 0)
    except AidxlError as error:
        with visible_output():
            print(f"aidxl: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return _interrupted()
    except BrokenPipeError:
        return 0
    except Exception as error:
        if _is_duckdb_interrupt(error):  # DuckDB turns Ctrl-C during a query into its own error
            return _interrupted()
        message = _catalog_failure(error, args)
        if message is None:
            raise
        with visible_output():
            print(f"aidxl: {message}", file=sys.stderr)
        return 2


def _interrupted() -> int:
    print("aidxl: interrupted", file=sys.stderr)
    return 130


# What DuckDB's Python client raises when Ctrl-C arrives while a query runs (it takes the signal).
_DUCKDB_INTERRUPTED = "Query interrupted"


def _is_duckdb_interrupt(error: BaseException) -> bool:
    duckdb = sys.modules.get("duckdb")  # never imported here: `aidxl prompt` runs without it
    if duckdb is None:
        return False
    return isinstance(error, duckdb.InterruptException) or (
        type(error) is RuntimeError and str(error) == _DUCKDB_INTERRUPTED
    )


def _catalog_failure(error: BaseException, args: argparse.Namespace | None) -> str | None:
    """One sentence for a DuckDB error about the catalog file met mid-command (a block damaged after
    the catalog was opened); None for anything else."""
    if "duckdb" not in sys.modules:
        return None
    from kb.catalog import catalog_error_for
    from kb.paths import resolve_catalog_path

    catalog = resolve_catalog_path(getattr(args, "catalog", None) if args is not None else None)
    translated = catalog_error_for(error, catalog)
    return None if translated is None else str(translated)


if __name__ == "__main__":
    sys.exit(main())
