#!/usr/bin/env bash
# Install everything tinygrad_lr needs into ./.venv, then run one job.
#
#   bash .ci/setup.sh demo    the main job: train, backprop and render the worked example
#   bash .ci/setup.sh test    ruff, mypy and the whole test suite
#
# Idempotent: a second run reuses .venv and only re-installs when pyproject.toml changed.
# On Debian as root it installs missing system packages with apt (Graphviz's `dot`, python3-venv,
# and for the tests Chromium + chromedriver); otherwise it prints the exact command to run.
set -euo pipefail
cd "$(dirname "$0")/.."

job="${1:-demo}"
case "$job" in demo | test) ;; *) echo "usage: bash .ci/setup.sh demo|test" >&2; exit 2 ;; esac

apt_updated=""
need_apt() { # need_apt PROGRAM PACKAGE...: make sure PROGRAM exists, installing PACKAGEs if we can
    local program="$1"; shift
    command -v "$program" >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "setup: installing $* with apt-get" >&2
        if [ -z "$apt_updated" ]; then apt-get update -qq >/dev/null || true; apt_updated=1; fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || true
        command -v "$program" >/dev/null 2>&1 && return 0
    fi
    return 1
}

if ! need_apt dot graphviz; then
    echo "setup: Graphviz's 'dot' program is missing; install it with: sudo apt-get install graphviz" >&2
    exit 1
fi
if [ "$job" = test ]; then
    # the walkthrough page is tested in a real headless browser; skipped where none can be had
    need_apt chromedriver chromium chromium-driver ||
        echo "setup: no Chromium; the browser test will be skipped (sudo apt-get install chromium chromium-driver)" >&2
fi

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "setup: tinygrad_lr needs Python >= 3.10 as '$PYTHON' (set PYTHON=/path/to/python3.x)" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    if ! "$PYTHON" -m venv .venv >/dev/null 2>&1; then
        rm -rf .venv
        pyver=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            apt-get update -qq >/dev/null
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python$pyver-venv" >/dev/null
            "$PYTHON" -m venv .venv
        else
            echo "setup: Python's venv module is missing; install it with: sudo apt-get install python$pyver-venv" >&2
            exit 1
        fi
    fi
fi

stamp=.venv/.tinygrad-lr-installed
want=$(cat pyproject.toml | cksum)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "setup: installing tinygrad-lr and its tools into .venv" >&2
    .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
    .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev]"
    echo "$want" >"$stamp"
fi

if [ "$job" = test ]; then
    # the notebook tests run notebooks/ on the venv's own Jupyter kernel (ipykernel, from the dev extra)
    if ! .venv/bin/python -c 'import sys
from jupyter_client.kernelspec import KernelSpecManager
spec = KernelSpecManager().get_kernel_spec("python3")
sys.exit(spec.argv[0] not in ("python", "python3", sys.executable))' >/dev/null 2>&1; then
        echo "setup: .venv has no usable Jupyter kernel for the notebook tests; install it with:" \
            ".venv/bin/python -m pip install ipykernel && .venv/bin/python -m ipykernel install --sys-prefix" >&2
        exit 1
    fi
fi

export MPLBACKEND=Agg
if [ "$job" = demo ]; then
    exec .venv/bin/tinygrad-lr demo
fi
.venv/bin/ruff check .
.venv/bin/mypy tinygrad_lr
exec .venv/bin/python -m pytest -q
