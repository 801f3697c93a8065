"""Style preview sheets: spec and stable hash, cell planning, generation through the preview
engine's cache (resumable, splittable over processes), composition into labelled pages, JSON
sidecar, HTML index and recognition scores. See docs/sheets.md.

Modules: `query` (rows from the catalog), `spec` (spec, TOML, hash), `options` (the one merge
of what the user gave over a spec file over the defaults, for `aidxl sheet` and the explorer),
`prompts` and `plan` (cells and their requests), `render_cells` (the only caller of `kb.generate`), `run`
(`run_sheet`, `dry_run`), `split` (accelerate shares), `compose`, `infotext`, `sidecar`,
`html_index`, `recognize` (the measure; the store is `kb.recognition`).
Nothing here imports torch at import time.
"""
