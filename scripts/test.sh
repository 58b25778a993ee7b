#!/usr/bin/env bash
# Set up everything the test suite needs, from nothing, then run it:
#   .venv             dlenv itself (editable) with the test tools and the docs extra (MkDocs)
#   .venv-frameworks  real TensorFlow (CPU), PyTorch (CPU), JAX (CPU), Keras 3 and TensorBoard,
#                     inspected via --python
#   bash, zsh, fish   real shells for the `dlenv fix --apply` tests (Debian packages, when root)
#   slurm-wlm, munge  a real local Slurm for the fleet recipes (Debian packages, when root)
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
PIP_FLAGS=(-q --disable-pip-version-check)

if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install "${PIP_FLAGS[@]}" -e ".[test,docs]"

# The framework environment is slow to build (about a minute), so it is kept between runs and
# rebuilt only when its specification changes.
FW_SPEC="tensorflow-cpu==2.21.0 torch==2.13.0 keras==3.15.1 jax[cpu]==0.10.2 tensorboard==2.21.0"
if [ "$(cat .venv-frameworks/.dlenv-spec 2>/dev/null)" != "$FW_SPEC" ]; then
  rm -rf .venv-frameworks
  "$PY" -m venv .venv-frameworks
  # shellcheck disable=SC2086
  .venv-frameworks/bin/python -m pip install "${PIP_FLAGS[@]}" $FW_SPEC
  echo "$FW_SPEC" > .venv-frameworks/.dlenv-spec
fi

missing=()
for sh in zsh fish; do command -v "$sh" >/dev/null 2>&1 || missing+=("$sh"); done
# a real single-node Slurm for tests/fleet/test_slurm.py (about 15 s; skipped without it)
command -v srun >/dev/null 2>&1 || missing+=(slurm-wlm)
command -v munged >/dev/null 2>&1 || [ -x /usr/sbin/munged ] || missing+=(munge)
if [ "${#missing[@]}" -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    "${missing[@]}" >/dev/null
fi

.venv/bin/ruff check src tests benchmarks
.venv/bin/mypy
# the documentation site, strictly: a broken link or a missing page fails (about 5 s)
NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict --quiet --site-dir "$(mktemp -d)"
export DLENV_TEST_FRAMEWORK_PYTHON="$PWD/.venv-frameworks/bin/python"
exec .venv/bin/python -m pytest "$@"
