"""aidxl-kb core: catalog, search, prompt language and generation logic.

Its parts (each package's docstring lists its modules; CONTRIBUTING.md draws the whole house):
- the top level: what every part uses: `errors`, `paths`, `schema` and `catalog` (the DuckDB
  catalog), `settings` (GenerationSettings, the sampler table, the shared defaults), `outpath`
  (every file written), `usage`, `userdata`, `recognition` (the verdict store);
- `prompt`: the A1111 prompt language; `knowledge`: what the catalog knows beyond rows;
  `search`: the fuzzy index; `workbench`: the builder's typed model and its jobs;
- `generate`: previews; `sheets`: style sheets; `discover`: triggers from weights;
  `export`: bridges to other tools.

Nothing here imports textual, torch or diffusers at import time; generation code imports
torch inside the functions that generate (see tests/test_import_contract.py), and no module
imports another that imports it back (tests/test_import_cycles.py).
"""

from __future__ import annotations

__version__ = "0.1.0"
