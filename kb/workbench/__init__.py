"""The prompt workbench: one typed model of the prompt being built, shared by the CLI and the explorer.

- `draft`: the builder's entries (tags with weights, syntax kept verbatim), toggles, negative, settings;
- `rendering`: a draft → positive and negative prompt, lint findings, token counts;
- `importing`: pasted text, an infotext or a PNG → a draft whose rendered prompt means exactly the same;
- `fixes`: a lint finding's fix applied to the entry it is about;
- `history`: bounded undo / redo of every edit.

The explorer (`tui/`) and `aidxl prompt import` are thin adapters over these; no textual here.
"""
