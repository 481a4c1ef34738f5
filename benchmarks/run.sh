#!/usr/bin/env bash
# Run the benchmarks in their own environment, benchmarks/.env, which this script creates on
# first use: this checkout of tinygrad_lr (editable) plus the peers it is compared with.
#
#   bash benchmarks/run.sh                      # every benchmark, in turn
#   bash benchmarks/run.sh bench_scalar.py      # one (extra arguments go to the script)
#   bash benchmarks/run.sh bench_scalar.py --quick
#
# Peers: micrograd 0.1.0, torch 2.13.0 (a CPU build: pin EXACTLY this version; any other spec
# may pull gigabytes of GPU libraries), JAX (jax[cpu]) and tinygrad 0.14 (its CPU device compiles
# with clang: on Debian, apt-get install clang). A peer that cannot be installed is reported as
# "skipped" by the scripts, never faked. None of them is a dependency of the package.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
env="$here/.env"
python="${PYTHON:-python3}"

if [ ! -x "$env/bin/python" ]; then
    "$python" -m venv "$env"
fi
stamp="$env/.installed-v2"  # v2: JAX and tinygrad joined the peers
if [ ! -f "$stamp" ]; then
    "$env/bin/python" -m pip install -q -e "$here/.."
    "$env/bin/python" -m pip install -q "micrograd==0.1.0" || echo "run.sh: micrograd not installable: it will be skipped"
    "$env/bin/python" -m pip install -q "torch==2.13.0" || echo "run.sh: torch not installable: it will be skipped"
    "$env/bin/python" -m pip install -q "jax[cpu]" || echo "run.sh: JAX not installable: it will be skipped"
    "$env/bin/python" -m pip install -q "tinygrad==0.14.*" || echo "run.sh: tinygrad not installable: it will be skipped"
    if ! command -v clang >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang >/dev/null || true
        fi
        command -v clang >/dev/null 2>&1 || echo "run.sh: tinygrad's CPU device needs clang: sudo apt-get install clang"
    fi
    touch "$stamp"
fi

cd "$here"
if [ "$#" -gt 0 ]; then
    exec "$env/bin/python" "$@"
fi
for script in bench_scalar.py bench_memory.py bench_tiny.py bench_tensor_step.py bench_replay.py bench_compile.py bench_blocked.py bench_stream.py; do
    if [ -f "$script" ]; then
        echo "================ $script ================"
        "$env/bin/python" "$script"
        echo
    fi
done
