"""Is the `gpu` extra installed? One check, and one sentence, for every generating caller.

Previews and sheets need torch, diffusers and transformers; the base install has none of them.
The CLI (`aidxl preview`, `aidxl sheet`), the explorer and `bench/generate.py` all meet a missing
library here, before any model is loaded, and all say the same line instead of a traceback. The
libraries are imported only when `require_generation_extra` is called, never when this module is.

The install command fits where the code runs: from a checkout (an editable install, `./dev.sh`'s
.venv) it installs the checkout's own extra into the running interpreter; from a wheel, the package
from the index. The explorer shows it as plain text (a toast never reads `[gpu]` as markup).
"""

from __future__ import annotations

import importlib
import shlex
import sys
from pathlib import Path

from kb.errors import GenerationExtraMissing

# What `pip install 'aidxl-kb[gpu]'` adds that generation imports, in the order they are checked
# (diffusers and transformers import torch themselves, so a missing torch is named as torch).
GENERATION_MODULES: tuple[str, ...] = ("torch", "diffusers", "transformers")
INSTALL_COMMAND = "pip install 'aidxl-kb[gpu]'"  # from the index, for an installed wheel
# The source tree this module is in, when it is a checkout of the project (not site-packages).
_SOURCE_ROOT = Path(__file__).resolve().parents[2]


def checkout_root() -> Path | None:
    """The checkout kb runs from (its pyproject.toml names aidxl-kb), or None for an installed wheel."""
    pyproject = _SOURCE_ROOT / "pyproject.toml"
    try:
        return _SOURCE_ROOT if 'name = "aidxl-kb"' in pyproject.read_text(encoding="utf-8") else None
    except OSError:
        return None


def install_command() -> str:
    """The command that adds the gpu extra to the interpreter running now."""
    root = checkout_root()
    if root is None:
        return INSTALL_COMMAND
    return f"{shlex.quote(sys.executable)} -m pip install -e {shlex.quote(f'{root}[gpu]')}"


def missing_extra_message(module_name: str | None, reason: str | None = None) -> str:
    """The one sentence: what needs the extra, which library is missing, and the install command."""
    needed = ", ".join(GENERATION_MODULES)
    missing = module_name or "one of them"
    problem = f"{missing} cannot be imported ({reason})" if reason else f"{missing} is not installed"
    return f"previews and sheets need the gpu extra ({needed}); {problem}: {install_command()}"


def require_generation_extra() -> None:
    """Import the generation libraries, or raise GenerationExtraMissing naming the one that is missing."""
    for module_name in GENERATION_MODULES:
        try:
            importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            raise GenerationExtraMissing(missing_extra_message(error.name or module_name)) from None
        except ImportError as error:  # installed but broken (a missing shared library, a version clash)
            first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise GenerationExtraMissing(missing_extra_message(module_name, first_line)) from None
