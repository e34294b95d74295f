"""What each Triton kernel needs of a GPU, found on a machine without one: shared memory, registers, stack.

Every op's "triton" form (`fwp_kernels.ops.OPS`) runs on small CPU tensors with its
kernel launches recorded instead of run (forward and backward); each recorded
launch is then compiled for the targets (default sm_90, Hopper, and sm_80,
Ampere) with the launch's own options, and the resources of the compiled
kernel are read: shared memory from Triton's metadata, registers per thread and
stack bytes per thread (local memory: spilled registers and arrays) from
`cuobjdump --dump-resource-usage` (bundled with triton), with the compile
time (an empty Triton cache: what a GPU machine's first call pays). Head
dims are those of the kernels' tiles (padding included: D = 48 compiles as 64).

    python -m benchmarks.kernel_resources                       # D in 16 32 64 128, float32 and bfloat16
    python -m benchmarks.kernel_resources --dims 128 --dtypes bfloat16 --targets 90

Prints a markdown table; "launches" says whether the shared memory is within
the target's limit per block (sm_90 227 KB, sm_80 163 KB; beyond it the launch
fails). Stack (local memory) costs speed, not correctness. Compiling the
float32 D = 128 kernels takes minutes. Needs triton and its bundled ptxas, not a
GPU, and must run without TRITON_INTERPRET.
"""

import argparse
import os
import re
import subprocess
import tempfile
import time
from contextlib import contextmanager
from typing import Dict, Iterator, List, Tuple

import torch

# Shared memory one block may use (opt-in maximum), bytes, by compute capability.
SHARED_MEMORY_LIMIT = {90: 227 * 1024, 80: 163 * 1024}
REGISTER_LIMIT = 255
POINTER_TYPES = {torch.float32: "*fp32", torch.bfloat16: "*bf16", torch.float16: "*fp16", torch.int64: "*i64"}
# Launch options of the Triton runtime, not kernel arguments.
LAUNCH_OPTIONS = ("num_warps", "num_stages", "num_ctas")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dims", type=int, nargs="+", default=[16, 32, 64, 128], help="head dims D = Dk")
    parser.add_argument(
        "--dtypes",
        nargs="+",
        default=["float32", "bfloat16"],
        choices=["float32", "bfloat16", "float16"],
        help="input dtypes",
    )
    parser.add_argument(
        "--targets",
        type=int,
        nargs="+",
        default=[90, 80],
        choices=sorted(SHARED_MEMORY_LIMIT),
        help="compute capabilities to compile for",
    )
    parser.add_argument("--ops", nargs="+", help="ops to compile (default: every op with a triton form)")
    parser.add_argument("--chunk-size", type=int, default=64, help="chunk size of the chunkwise ops")
    return parser.parse_args()


@contextmanager
def recorded_launches(launches: List[Tuple[object, tuple, dict]]) -> Iterator[None]:
    """Within the block, `kernel[grid](*args, **kwargs)` of every Triton kernel appends (kernel, args, kwargs)
    to `launches` instead of running."""
    from triton.runtime.jit import JITFunction

    original = JITFunction.__getitem__

    def record(kernel, grid):
        return lambda *args, **kwargs: launches.append((kernel, args, kwargs))

    JITFunction.__getitem__ = record
    try:
        yield
    finally:
        JITFunction.__getitem__ = original


def op_launches(op: str, dim: int, dtype: torch.dtype, chunk_size: int) -> List[Tuple[object, tuple, dict]]:
    """The kernel launches of OPS[op]'s triton form, forward and backward, on tiny inputs of head dim `dim`."""
    from fwp_kernels.interface import make_example_inputs
    from fwp_kernels.ops import OPS

    interface = OPS[op]
    inputs = make_example_inputs(
        interface, batch=1, seq_len=2 * chunk_size, heads=1, dim=dim, dtype=dtype, with_state=True
    )
    tensors = [inputs[name].requires_grad_() for name in interface.tensor_inputs]
    options = {name: value for name, value in inputs.items() if name not in interface.tensor_inputs}
    if interface.chunked:
        options["chunk_size"] = chunk_size
    launches: List[Tuple[object, tuple, dict]] = []
    with recorded_launches(launches):
        output, state = interface.form("triton")(*tensors, **options, output_final_state=True)
        state_parts = state if isinstance(state, tuple) else (state,)
        loss = output.float().sum() + sum(part.float().sum() for part in state_parts)
        loss.backward()
    return launches


def signature_of(kernel, args: tuple, kwargs: dict) -> Tuple[Dict[str, str], Dict[str, object], Dict[str, int]]:
    """(signature, constexprs, launch options) of one recorded launch, for triton.compiler.ASTSource."""
    values = dict(zip(kernel.arg_names, args))
    values.update({name: value for name, value in kwargs.items() if name not in LAUNCH_OPTIONS})
    constexpr_names = {param.name for param in kernel.params if param.is_constexpr}
    signature, constexprs = {}, {}
    for name in kernel.arg_names:
        value = values[name]
        if name in constexpr_names:
            signature[name], constexprs[name] = "constexpr", value
        elif isinstance(value, torch.Tensor):
            signature[name] = POINTER_TYPES[value.dtype]
        elif isinstance(value, bool):
            signature[name] = "i1"
        elif isinstance(value, int):
            signature[name] = "i32" if -(2**31) <= value < 2**31 else "i64"
        else:
            signature[name] = "fp32"
    options = {name: kwargs[name] for name in LAUNCH_OPTIONS if name in kwargs}
    return signature, constexprs, options


def resources(kernel, signature: dict, constexprs: dict, options: dict, target: int) -> Tuple[int, int, int, float]:
    """(shared memory bytes, registers per thread, stack bytes per thread, compile seconds) of the kernel
    compiled for sm_<target>."""
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    started = time.perf_counter()
    compiled = triton.compile(
        ASTSource(kernel, signature, constexprs=constexprs), target=GPUTarget("cuda", target, 32), options=options
    )
    seconds = time.perf_counter() - started
    cuobjdump = os.path.join(os.path.dirname(triton.backends.nvidia.__file__), "bin", "cuobjdump")
    with tempfile.NamedTemporaryFile(suffix=".cubin") as cubin:
        cubin.write(compiled.asm["cubin"])
        cubin.flush()
        usage = subprocess.run([cuobjdump, "--dump-resource-usage", cubin.name], capture_output=True, text=True).stdout
    registers = int(re.search(r"REG:(\d+)", usage).group(1))
    stack = sum(int(value) for value in re.findall(r"(?:STACK|LOCAL):(\d+)", usage))
    return compiled.metadata.shared, registers, stack, seconds


def main() -> None:
    args = parse_args()
    if os.environ.get("TRITON_INTERPRET") == "1":
        raise SystemExit("kernel_resources compiles the kernels: run it without TRITON_INTERPRET=1")
    os.environ["TRITON_CACHE_DIR"] = tempfile.mkdtemp(prefix="kernel_resources_")  # compile times without the cache
    from fwp_kernels.ops import OPS

    ops = args.ops or [name for name, interface in OPS.items() if "triton" in interface.forms]
    print(
        "| op | kernel | dtype | D | target | shared memory (KB) | registers | stack (bytes) | compile (s) | launches |"
    )
    print("|---|---|---|---:|---|---:|---:|---:|---:|---|")
    for op in ops:
        for dtype_name in args.dtypes:
            for dim in args.dims:
                compiled = set()
                for kernel, launch_args, kwargs in op_launches(op, dim, getattr(torch, dtype_name), args.chunk_size):
                    signature, constexprs, options = signature_of(kernel, launch_args, kwargs)
                    key = (kernel.fn.__name__, tuple(sorted(constexprs.items())), tuple(signature.values()))
                    if key in compiled:
                        continue
                    compiled.add(key)
                    for target in args.targets:
                        try:
                            shared, registers, stack, seconds = resources(
                                kernel, signature, constexprs, options, target
                            )
                            launches = "yes" if shared <= SHARED_MEMORY_LIMIT[target] else "no"
                            cells = f"{shared / 1024:.0f} | {registers} | {stack} | {seconds:.0f} | {launches}"
                        except Exception as error:  # a kernel that does not compile is a row, and the table goes on
                            cells = f"{type(error).__name__}: {str(error).splitlines()[0][:80]} | | | | no"
                        print(
                            f"| {op} | {kernel.fn.__name__} | {dtype_name} | {dim} | sm_{target} | {cells} |",
                            flush=True,
                        )


if __name__ == "__main__":
    main()
