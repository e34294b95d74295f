#!/usr/bin/env bash
# The GPU suite (benchmarks/gpu_suite.py) on a lent GPU machine: Python 3.12 with
# its own torch and triton and no network. What the suite needs beyond those
# (fairseq and its config libraries, flash-linear-attention as the speed anchor)
# travels with the call as wheels in .whl/ (ignored by git: /.whl/ in
# .git/info/exclude; DEVICE_WHEELS names another folder).
#
#   here:  bash benchmarks/device_suite.sh download
#            fills .whl/ with the wheels for CPython 3.12 on x86-64 (about 22 MB)
#   there: bash benchmarks/device_suite.sh run [gpu_suite options]
#            in the device tool's run, with carry [".whl"] and timeout_s 540
#            (the suite stops starting measurements after --time-budget, 420 s)
#
# run installs the wheels (when there are any) into /tmp/site, links
# fwp_kernels to kernels/ where the package is not installed (the import name
# it installs under), runs `python3 -m benchmarks.gpu_suite` with the options
# given, and copies its log (gpu_suite.log) and benchmarks/RESULTS.md, with the
# tables appended, to $OUT, the folder the device tool brings back. Its exit
# status is the suite's.
#
# Checked without a GPU on Python 3.12 with torch 2.11.0 and triton 3.6.0 (the
# versions on the H200 machine in 2026-11): the wheels install and import, and
# the fairseq parts of `run --smoke` pass. Triton 3.6's interpreter cannot run
# the kernels (a loop over a runtime count fails, fixed in 3.7), so there the
# kernels were checked by compiling them for sm_90 (benchmarks/kernel_resources.py).
set -euo pipefail
cd "$(dirname "$0")/.."

WHEELS="${DEVICE_WHEELS:-.whl}"  # the wheels' folder
# Wheels for the device's Python; fairseq's own dependencies that are not listed are on the machine.
DEVICE_PACKAGES=(fairseq-fixed==0.12.3.1 hydra-core==1.3.2 omegaconf==2.3.0 bitarray==3.12.3 fla-core==0.6.0)
# Published on PyPI as source only (pure Python): built into a wheel here.
SOURCE_ONLY_PACKAGES=(antlr4-python3-runtime==4.9.3)
DEVICE_PYTHON_VERSION=3.12

usage() {
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

download() {
  python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version "$DEVICE_PYTHON_VERSION" \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d "$WHEELS" "${DEVICE_PACKAGES[@]}"
  python3 -m pip wheel --quiet --no-deps -w "$WHEELS" "${SOURCE_ONLY_PACKAGES[@]}"
  ls -l "$WHEELS"
}

run() {
  if [ -z "${OUT:-}" ]; then
    echo "device_suite.sh run: OUT is not set. It runs on the device machine, whose tool sets OUT to the" \
      "folder it brings back; elsewhere, set OUT to a folder for the log and RESULTS.md." >&2
    exit 2
  fi
  if [ -d "$WHEELS" ]; then
    python3 -m pip install --quiet --no-index --no-deps --no-compile --no-cache-dir --upgrade \
      --target /tmp/site "$WHEELS"/*.whl
    export PYTHONPATH="/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
  fi
  python3 -c "import fwp_kernels" 2>/dev/null || ln -s kernels fwp_kernels
  export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
  local status=0
  python3 -m benchmarks.gpu_suite "$@" 2>&1 | tee "$OUT/gpu_suite.log" || status=$?
  cp benchmarks/RESULTS.md "$OUT/RESULTS.md"
  exit "$status"
}

case "${1:-}" in
  download) download ;;
  run) shift; run "$@" ;;
  *) usage ;;
esac
