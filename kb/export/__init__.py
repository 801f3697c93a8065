"""Bridges into the tools AIDXL users already have: the catalog and the user's blends and saved
prompts, written in those tools' own formats (docs/bridges.md).

One module per format: `tagcomplete` (a1111-sd-webui-tagcomplete and ComfyUI-Autocomplete-Plus CSVs),
`styles` (the web UI's styles.csv, both ways), `wildcards` (Dynamic Prompts wildcard files). `entries`
reads what they export from the catalog; `provenance` says where an export came from; `files`
writes them atomically with `path: reason` errors.
"""
