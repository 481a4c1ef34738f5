#!/usr/bin/env bash
# Install everything tinygrad_lr needs into ./.venv, then run one job.
#
#   bash .ci/setup.sh demo    the main job: train, backprop and render the worked example
#   bash .ci/setup.sh test    ruff, mypy, import-linter (the layering) and the whole test suite
#
# Idempotent: a second run reuses .venv and only re-installs when pyproject.toml changed.
# On Debian as root it installs missing system packages with apt (Graphviz's `dot`, python3-venv,
# and for the tests Chromium + chromedriver, ffmpeg and npm for axe-core); otherwise it prints the exact command to run.
# The notebook tests use the venv's own Jupyter kernel (ipykernel, from the dev extra).
set -euo pipefail
cd "$(dirname "$0")/.."

job="${1:-demo}"
case "$job" in demo | test) ;; *) echo "usage: bash .ci/setup.sh demo|test" >&2; exit 2 ;; esac

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "setup: tinygrad_lr needs Python >= 3.10 as '$PYTHON' (set PYTHON=/path/to/python3.x)" >&2
    exit 1
fi
pyver=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')

# What the system must provide. required: the job cannot run without it; optional: the tests that
# need it are skipped, saying so (the browser tests need Chromium, the MP4 test ffmpeg).
survey() { # sets required, optional and wanted (both) to the Debian packages still missing
    required=() optional=()
    command -v dot >/dev/null 2>&1 || required+=(graphviz)
    if [ ! -x .venv/bin/python ] && ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
        required+=("python$pyver-venv")
    fi
    if [ "$job" = test ]; then
        command -v chromedriver >/dev/null 2>&1 || optional+=(chromium chromium-driver)
        command -v ffmpeg >/dev/null 2>&1 || optional+=(ffmpeg)
        command -v npm >/dev/null 2>&1 || optional+=(npm)
    fi
    wanted=("${required[@]}" "${optional[@]}")
}
survey
if [ ${#wanted[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${wanted[*]} with apt-get (a few minutes on a new machine)" >&2
    export DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes
    apt-get update -qq >/dev/null || echo "setup: apt-get update failed; trying the install anyway" >&2
    apt-get install -y -qq "${wanted[@]}" >/dev/null || echo "setup: apt-get could not install everything" >&2
    survey
fi
if [ ${#required[@]} -gt 0 ]; then
    echo "setup: cannot go on without ${required[*]}; install everything missing with:" \
        "sudo apt-get install ${wanted[*]}" >&2
    exit 1
fi
if [ ${#optional[@]} -gt 0 ]; then
    echo "setup: missing ${optional[*]}: the browser, accessibility and MP4 tests that need them will be skipped;" \
        "install with: sudo apt-get install ${optional[*]}" >&2
fi
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi

stamp=.venv/.tinygrad-lr-installed
want=$(cat pyproject.toml | cksum)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "setup: installing tinygrad-lr and its tools into .venv (a minute or two the first time)" >&2
    .venv/bin/python -m pip install -qq --disable-pip-version-check --upgrade pip >/dev/null
    .venv/bin/python -m pip install -qq --disable-pip-version-check -e ".[dev]"
    echo "$want" >"$stamp"
fi

AXE_VERSION=4.14.1  # axe-core, the accessibility check the browser tests run inside the pages
if [ "$job" = test ] && [ ! -f .venv/node/node_modules/axe-core/axe.min.js ] && command -v npm >/dev/null 2>&1; then
    echo "setup: installing axe-core $AXE_VERSION (npm) into .venv/node for the accessibility tests" >&2
    npm install --silent --no-audit --no-fund --prefix .venv/node "axe-core@$AXE_VERSION" >/dev/null ||
        echo "setup: npm could not install axe-core; the accessibility tests will be skipped" >&2
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
.venv/bin/lint-imports --no-cache --no-logo  # the layering in pyproject.toml: no upward import, no cycle
exec .venv/bin/python -m pytest -q
