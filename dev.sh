#!/usr/bin/env bash
# The README's two set-up commands, for a fresh clone:
#   ./dev.sh        set up .venv, build the catalog if it is missing, open the explorer
#   ./dev.sh test   set up .venv with the dev and gpu extras, then ruff, mypy and pytest
set -euo pipefail
cd "$(dirname "$0")"
mode="${1:-explore}"
venv=.venv
python_bin="${PYTHON:-python3.11}"
command -v "$python_bin" >/dev/null || python_bin=python3

case "$mode" in
  explore) extras="" ;;
  test) extras="[dev,gpu]" ;;
  *) echo "usage: ./dev.sh [explore|test]" >&2; exit 2 ;;
esac

# Install (again) only when pyproject.toml or the extras changed.
[ -x "$venv/bin/python" ] || "$python_bin" -m venv "$venv"
stamp="$venv/.installed-$(cat pyproject.toml dev.sh | sha256sum | cut -c1-16)${extras//[^a-z]/-}"
if [ ! -f "$stamp" ]; then
  echo "dev.sh: installing aidxl-kb$extras into $venv" >&2
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -e ".$extras"
  touch "$stamp"
fi
export PATH="$PWD/$venv/bin:$PATH"

if [ "$mode" = test ]; then
  ruff check .
  mypy
  exec python -m pytest -q "${@:2}"
fi

# The main job: the catalog at the repository root (tracked by catalog.duckdb.dvc). Without one,
# build it from the demo data beside the checkout, else from the registry's public sources
# (downloaded when online; offline, the curated lists alone, and the explorer names what is
# missing). A failed ingest still ends in the explorer, which says why and offers to retry.
export AIDXL_CATALOG="${AIDXL_CATALOG:-$PWD/catalog.duckdb}"
if [ ! -f "$AIDXL_CATALOG" ]; then
  if [ -d ../shared/data ]; then
    aidxl ingest --config sources.toml || echo "dev.sh: the ingest failed (above); opening the explorer" >&2
  else
    aidxl ingest --fetch || echo "dev.sh: the ingest failed (above); opening the explorer" >&2
  fi
fi
exec aidxl "${@:2}"
