"""`aidxl` / `aidxl explore`: open the Textual explorer (the app itself: tui/explorer.py).

This module stays light on purpose: `run_app` starts loading the catalog and its search index on
a thread first, then imports Textual and the app, so the two overlap (start-up target: search
ready within a second). `from tui.app import ExplorerApp` still works (loaded on first use).
"""

from __future__ import annotations

import contextlib
import gc
import os
from typing import TYPE_CHECKING, Any

from kb.paths import resolve_catalog_path

# Textual paints at most MAX_FPS frames a second and reads it from the environment when it is
# first imported. A keystroke costs two frames (the echo, then the results from the search
# worker), so at the default 60 the wait for frame ticks alone is ~33 ms of the 50 ms budget;
# at 120 it is ~17 ms (bench/tui.py: p95 ~45 -> ~29 ms). Frames are drawn only when something
# changed, so an idle explorer costs nothing more. A TEXTUAL_FPS set by the user wins.
EXPLORER_FPS = "120"
os.environ.setdefault("TEXTUAL_FPS", EXPLORER_FPS)

if TYPE_CHECKING:
    from tui.explorer import ExplorerApp


def start_explorer(catalog_flag: str | None, **options: Any) -> ExplorerApp:
    """The explorer app on the resolved catalog, its catalog already loading."""
    from tui.state.prefetch import CatalogPrefetch

    catalog_path = resolve_catalog_path(catalog_flag)
    # Imports (Textual, the app, duckdb, numpy) create ~10^5 objects that live as long as the
    # process: the cyclic collector scanning them again and again while they are created costs
    # ~70 ms of start-up. Frozen afterwards, later collections (which may land on a keystroke)
    # skip them too. start_explorer runs once per process (tests build ExplorerApp directly).
    collecting = gc.isenabled()
    gc.disable()
    try:
        prefetch = CatalogPrefetch(catalog_path)
        from tui.explorer import ExplorerApp

        return ExplorerApp(catalog_path, prefetch=prefetch, **options)
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


def load_image_support() -> None:
    """Import textual-image before the app starts: its import asks the terminal what it can draw
    (cell size, Sixel, Kitty graphics), which it cannot do once Textual reads stdin. Imported later
    (at the first preview or thumbnail), the terminal's answer (`?1;2c`) was typed into the search
    box and the preview's handler waited for the next key. About 0.2 s, while the catalog loads on
    its thread (start_explorer)."""
    # Without it, previews show their path as text (tui/widgets/preview_panel.py).
    with contextlib.suppress(ImportError):
        import textual_image.widget  # noqa: F401


def run_app(catalog_flag: str | None, *, keep_search: bool = False, model: str | None = None) -> int:
    """Open the explorer; returns the exit code. `model`: `aidxl explore --model` (checked already)."""
    from tui.terminal import use_real_terminal_size

    app = start_explorer(catalog_flag, keep_search=keep_search, preview_model=model)
    use_real_terminal_size(app)  # its real size even when stdout is piped
    load_image_support()
    result = app.run()
    return int(result or 0)


def __getattr__(name: str) -> Any:
    if name in {"ExplorerApp", "file_identity"}:
        from tui import explorer

        return getattr(explorer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
