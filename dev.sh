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

# Wall time of each phase, printed when `./dev.sh test` ends, whatever its outcome: a failing
# command still exits the script (set -e) and the EXIT trap records the phase it was in.
phase_times=()
phase_name=""
phase_started=0
now_us() {
  if [ -n "${EPOCHREALTIME:-}" ]; then echo "${EPOCHREALTIME/[.,]/}"; else echo $((SECONDS * 1000000)); fi
}
end_phase() {
  [ -n "$phase_name" ] || return 0
  local elapsed=$(( $(now_us) - phase_started ))
  phase_times+=("$(printf '%-8s %6d.%d s' "$phase_name" $((elapsed / 1000000)) $((elapsed / 100000 % 10)))")
  phase_name=""
}
timed() {  # timed NAME COMMAND...
  phase_name=$1
  phase_started=$(now_us)
  shift
  "$@"
  end_phase
}
print_phase_times() {
  end_phase
  echo "dev.sh: wall time per phase" >&2
  printf '  %s\n' "${phase_times[@]}" >&2
}
if [ "$mode" = test ]; then
  trap print_phase_times EXIT
fi

# Install (again) only when pyproject.toml or the extras changed.
install_venv() {
  [ -x "$venv/bin/python" ] || "$python_bin" -m venv "$venv"
  stamp="$venv/.installed-$(cat pyproject.toml dev.sh | sha256sum | cut -c1-16)${extras//[^a-z]/-}"
  [ ! -f "$stamp" ] || return 0
  echo "dev.sh: installing aidxl-kb$extras into $venv" >&2
  # pip's progress on a terminal; quiet in logs and pipes.
  local quiet=(-q)
  if [ -t 1 ]; then quiet=(); fi
  # --no-compile: pip compiles every installed file to bytecode one at a time (~45 s of CPU for
  # torch, transformers and co.); compileall below does the same on every core.
  "$venv/bin/python" -m pip install "${quiet[@]}" --no-compile --disable-pip-version-check -e ".$extras"
  # Bytecode of everything installed, on every core. Its status is not checked: a few third-party
  # files are not Python 3.11 (torch ships one in 3.12 syntax) and fail, as under pip's own step.
  local site_packages
  site_packages=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
  "$venv/bin/python" -m compileall -qq -j 0 "$site_packages" || true
  touch "$stamp"
}
timed install install_venv
export PATH="$PWD/$venv/bin:$PATH"

if [ "$mode" = test ]; then
  timed ruff ruff check .
  timed mypy mypy
  # One worker per CPU; a test file stays on one worker, so its module fixtures (the tiny
  # pipeline, the sheet) are built once. `-n 0` after it runs everything in this process.
  # set -e: the script exits with the first failing phase's status (pytest's own, e.g. 5).
  timed pytest python -m pytest -q -n auto --dist loadfile "${@:2}"
  exit 0
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
