#!/usr/bin/env bash
# Round trips through the real consumers of ferdash's files: TensorBoard event files read back by
# the `tensorboard` package, ONNX exports checked by `onnx` and run by `onnxruntime`, video tables
# read by `pandas` (all from PyPI). The packages live in a virtual environment outside the repository, made once and reused
# (FERDASH_VENV overrides where; first install ≈30 s).
# Usage: scripts/interop.sh [path/to/ferdash]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$(realpath "${1:-$root/.build/release/ferdash}")"
venv="${FERDASH_VENV:-$HOME/.cache/ferdash-interop-venv}"
packages=(tensorboard onnx onnxruntime numpy pandas)

if ! "$venv/bin/python" -c "import tensorboard, onnx, onnxruntime, numpy, pandas" 2>/dev/null; then
    echo "interop: installing ${packages[*]} into $venv" >&2
    python3 -m venv "$venv" || { echo "interop: python3 cannot make a virtual environment (Debian: apt-get install python3-venv)" >&2; exit 1; }
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${packages[@]}"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$venv/bin/python" "$root/scripts/interop_check.py" "$bin" "$work"
