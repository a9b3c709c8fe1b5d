#!/usr/bin/env bash
# The GPU verification run (on a machine with an NVIDIA GPU, CuPy, PyTorch and NumPy already
# installed; installs nothing from the network). Results go under $OUT (default ./gpu-out).
set -uo pipefail
OUT=${OUT:-gpu-out}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
python3 -m pip install --no-deps --no-build-isolation -q -e . -e backends/cpu_numpy \
    -e backends/cuda_cupy 2>&1 | grep -v -i warning | tail -2
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import cupy, numpy; print('cupy', cupy.__version__, 'numpy', numpy.__version__)"
echo "== conformance (cuda_cupy)"
timeout 240 python3 -m mxcore.conformance --backend cuda_cupy --out "$OUT/conformance" \
    > "$OUT/conformance.log" 2>&1
echo "exit $?"; tail -30 "$OUT/conformance.log"
echo "== benchmark"
timeout 70 python3 bench/bench_gpu.py --json "$OUT/bench_gpu.json" 2>&1 | tail -12
echo "== example on gpu"
timeout 25 python3 examples/train_digits.py --ctx gpu --epochs 5 2>&1 | tail -6
echo "== GPU unit tests: registration, DLPack with CuPy/PyTorch, NCCL store"
timeout 60 python3 -m pytest -q -p no:cacheprovider tests/unit/test_cuda_backend.py \
    tests/unit/kvstore/test_nccl.py > "$OUT/gpu_unit.log" 2>&1
echo "exit $?"; tail -15 "$OUT/gpu_unit.log"
