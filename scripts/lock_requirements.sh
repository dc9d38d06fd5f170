#!/usr/bin/env bash
# Regenerates requirements/ci.lock: every package that pyproject.toml's dependencies and its dev
# extra need, each pinned to one release with the sha256 of every file of that release, for
# CPython 3.11 on Linux x86_64 (what CI runs). .ci/run installs it with --require-hashes.
#
#   scripts/lock_requirements.sh                  # after adding, removing or changing a dependency:
#                                                 # keeps every other pin as it is
#   scripts/lock_requirements.sh --upgrade        # every pin to the newest release the floors allow
#   scripts/lock_requirements.sh --upgrade-package starlette   # one pin
#
# Arguments go to pip-compile. tests/test_dependency_lock.py fails while a dependency of
# pyproject.toml is missing from the lock or pinned below its floor; scripts/audit_dependencies.py
# (a step of .ci/run) fails while a pin has a known vulnerability that has a fix.
set -euo pipefail
cd "$(dirname "$0")/.."

PIP_VERSION=26.3
PIP_TOOLS_VERSION=7.7.0
PYTHON=${PYTHON:-$(command -v python3.11 || true)}

if [[ -z "$PYTHON" ]]; then
  echo "python3.11 not found (or set PYTHON): the lock is for the Python CI runs" >&2
  exit 1
fi
target=$("$PYTHON" -c 'import platform, sys; print(f"{sys.version_info[0]}.{sys.version_info[1]} {sys.platform} {platform.machine()}")')
if [[ "$target" != "3.11 linux x86_64" ]]; then
  echo "the lock is resolved for CPython 3.11 on Linux x86_64; $PYTHON is $target" >&2
  exit 1
fi

tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
"$PYTHON" -m venv "$tools/venv"
"$tools/venv/bin/python" -m pip install --quiet "pip==$PIP_VERSION" "pip-tools==$PIP_TOOLS_VERSION"

mkdir -p requirements
# --allow-unsafe: pip itself is pinned too (pip-audit needs it), so nothing is left unhashed.
# No index URLs or find-links in the file: each machine's pip configuration says where to look.
CUSTOM_COMPILE_COMMAND="scripts/lock_requirements.sh" \
  "$tools/venv/bin/pip-compile" \
  --quiet \
  --extra dev \
  --generate-hashes \
  --allow-unsafe \
  --strip-extras \
  --no-emit-index-url \
  --no-emit-find-links \
  --output-file requirements/ci.lock \
  "$@" \
  pyproject.toml
echo "requirements/ci.lock: $(grep -c '^[a-zA-Z0-9]' requirements/ci.lock) packages pinned"
