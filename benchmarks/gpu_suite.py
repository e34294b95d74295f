"""The GPU suite: check and time the Triton kernels on a CUDA GPU in one command (a few minutes, most of
it compiling), appending its tables to benchmarks/RESULTS.md.

1. Correctness: for every op of `fwp_kernels.ops.OPS` that has a "triton" form,
   the output, final state and the gradient of every input (initial state
   included) against the "torch" backend at B=2, H=4, T=1000 (a ragged last
   chunk), in bfloat16 at D in {16, 32, 64, 128} and in float32 at D in
   {16, 64}, plus the delta rule's token-by-token decoding path. Ops without a
   Triton form are listed as such, so new Triton ops join by their interface
   alone. A kernel that fails to compile or run is a FAIL row with the error,
   and the suite goes on.
2. Speed: forward and forward+backward of linear attention and the delta rule
   (and the token-by-token delta rule, forward only) for B=8, H=8,
   T in {512, 2048, 8192}, D in {64, 128}, bfloat16, against the torch backend
   and, when `fla` (flash-linear-attention) is importable, its chunk_linear_attn,
   chunk_delta_rule and fused_recurrent_delta_rule.
3. End to end (`benchmarks.fairseq_throughput`): fairseq-train with --fp16
   (--e2e-precision) for the paper-small Transformer, Linear Transformer, Delta
   Net, Delta RNN, Delta LSTM and RDN on a synthetic stream over a 267,735-type
   dictionary: words/s, peak GPU memory, speed relative to the Transformer's
   beside the paper's; then the carried-state task and one fairseq-eval-lm pass.
4. Speed of the recurrent ops (Delta RNN, Delta LSTM, RDN): forward and
   forward+backward, float32, B=8, H=8, T in {512, 2048}, D in {16, 64, 128},
   triton against the torch backend.

Head dims above fwp_kernels.backend.TRITON_MAX_HEAD_DIM (128) are not
Triton's: "auto" runs them in torch.

The parts run in this order, each with its largest head dims last (the
longest compiles); no new measurement starts
after --time-budget seconds (default 420: its row says SKIP), so that the
tables reach RESULTS.md within a call's time limit.

Prints markdown tables row by row and appends them, with the device, driver,
torch and triton versions, to benchmarks/RESULTS.md. Exits with status 1 if a
correctness check fails, and refuses to run without CUDA, except with
--smoke: the same code paths at tiny sizes on CPU tensors under the Triton
interpreter (what the test suite runs), printing only.

    python -m benchmarks.gpu_suite
    python -m benchmarks.gpu_suite --T 512 --dims 64 --no-results-file
    python -m benchmarks.gpu_suite --smoke

It imports the ops as `fwp_kernels` (the folder kernels/, installed under that
name): on a machine where the package is not installed, run it from the
repository root after `ln -s kernels fwp_kernels`.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Callable, Dict, List, Optional

if "--smoke" in sys.argv:
    os.environ["TRITON_INTERPRET"] = "1"  # before triton is imported: CPU tensors run under the interpreter

import torch  # noqa: E402

import fwp_kernels  # noqa: E402
from fwp_kernels.interface import make_example_inputs  # noqa: E402
from fwp_kernels.ops import OPS  # noqa: E402

RESULTS_FILE = Path(__file__).resolve().parent / "RESULTS.md"

# Largest allowed error relative to the largest magnitude of the torch backend's tensor.
RELATIVE_TOLERANCE = {torch.float32: 1e-3, torch.bfloat16: 3e-2}


# --smoke: every option's tiny value (the same code paths on CPU under the Triton interpreter, in seconds).
SMOKE_SIZES = dict(T=[32], dims=[16, 48], batch=1, heads=1, check_T=20, check_dims_bfloat16=[16, 48],
                   check_dims_float32=[16], recurrent_T=[8], recurrent_dims=[16], chunk_size=16, repeats=1,
                   recurrent_repeats=1, no_results_file=True)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--T", type=int, nargs="+", default=[512, 2048, 8192], help="timed sequence lengths")
    parser.add_argument("--dims", type=int, nargs="+", default=[64, 128], help="timed head dims (Dk = Dv)")
    parser.add_argument("--batch", type=int, default=8, help="batch size of the timings")
    parser.add_argument("--heads", type=int, default=8, help="heads of the timings")
    parser.add_argument("--check-T", type=int, default=1000, help="sequence length of the correctness check")
    parser.add_argument("--check-dims-bfloat16", type=int, nargs="+", default=[16, 32, 64, 128],
                        help="head dims of the correctness check in bfloat16")
    parser.add_argument("--check-dims-float32", type=int, nargs="+", default=[16, 64],
                        help="head dims of the correctness check in float32")
    parser.add_argument("--recurrent-T", type=int, nargs="+", default=[512, 2048], help="timed T of the recurrent ops")
    parser.add_argument("--recurrent-dims", type=int, nargs="+", default=[16, 64, 128],
                        help="timed D of the recurrent ops")
    parser.add_argument("--chunk-size", type=int, default=64, help="chunk size of the chunkwise ops")
    parser.add_argument("--repeats", type=int, default=10, help="timed runs per measurement (median reported)")
    parser.add_argument("--recurrent-repeats", type=int, default=3, help="timed runs per recurrent-op measurement")
    parser.add_argument("--e2e-precision", default="fp16", choices=["fp16", "bf16"],
                        help="fairseq's mixed precision in the end-to-end part")
    parser.add_argument("--e2e-updates", type=int, default=30, help="fairseq-train updates per model (end to end)")
    parser.add_argument("--time-budget", type=float, default=420,
                        help="seconds after which no new measurement starts (its row says SKIP), so that the tables "
                             "reach RESULTS.md within a call's time limit; the largest head dims come last")
    parser.add_argument("--no-results-file", action="store_true", help="print only; do not append to RESULTS.md")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes on CPU under the Triton interpreter (the test suite's check); prints only")
    args = parser.parse_args(argv)
    if args.smoke:
        vars(args).update(SMOKE_SIZES)
    return args


def suite_device(smoke: bool) -> torch.device:
    """CUDA, or with --smoke the CPU; exits with a message when there is no CUDA device otherwise."""
    if smoke:
        return torch.device("cpu")
    if not torch.cuda.is_available():
        sys.exit(
            "gpu_suite needs a CUDA GPU (torch.cuda.is_available() is False); `python -m benchmarks.gpu_suite "
            "--smoke` runs its code paths on CPU at tiny sizes, and `make test` checks the Triton kernels under "
            "the Triton interpreter."
        )
    return torch.device("cuda")


def op_inputs(op: str, batch: int, seq_len: int, heads: int, dim: int, with_state: bool,
              device: torch.device) -> Dict[str, object]:
    """Keyword arguments of fwp_kernels.<op> (float32, on `device`), as the paper's layers produce them
    (the op's example inputs, `fwp_kernels.interface.make_example_inputs`)."""
    return make_example_inputs(OPS[op], batch, seq_len, heads, dim, device=device, with_state=with_state)


def flat_tensors(value) -> List[torch.Tensor]:
    """The tensors of a tensor, a tuple of tensors, or None."""
    if value is None:
        return []
    return list(value) if isinstance(value, (tuple, list)) else [value]


def named_tensor_inputs(inputs: Dict[str, object]) -> Dict[str, torch.Tensor]:
    named = {}
    for name, value in inputs.items():
        for index, tensor in enumerate(flat_tensors(value)):
            named[name if isinstance(value, torch.Tensor) else f"{name}[{index}]"] = tensor
    return named


def run_op(op: str, inputs: Dict[str, object], backend: str, chunk_size: int, grad: bool) -> Dict[str, torch.Tensor]:
    """Output, final state parts and (grad=True) input gradients of fwp_kernels.<op>, by name."""
    options = {"backend": backend, "output_final_state": True}
    if OPS[op].chunked:
        options["chunk_size"] = chunk_size
    with torch.set_grad_enabled(grad):
        output, state = getattr(fwp_kernels, op)(**inputs, **options)
    results = {"output": output, **{f"final state[{i}]": x for i, x in enumerate(flat_tensors(state))}}
    if grad:
        generator = torch.Generator(device=output.device).manual_seed(1)
        loss = sum(
            (x.float() * torch.randn(x.shape, device=x.device, generator=generator)).sum() for x in results.values()
        )
        named = named_tensor_inputs(inputs)
        grads = torch.autograd.grad(loss, list(named.values()))
        results.update({f"grad {name}": g for name, g in zip(named, grads)})
    return results


def check_row(op: str, dtype: torch.dtype, dim: int, seq_len: int, grad: bool) -> str:
    """The first cells of a correctness row: what is checked."""
    mode = "fwd+bwd" if grad else "fwd, no grad"
    return f"| {op} | {str(dtype).removeprefix('torch.')} | {dim} | {seq_len} | {mode} |"


def compare_backends(op: str, dtype: torch.dtype, seq_len: int, dim: int, grad: bool, chunk_size: int,
                     device: torch.device) -> str:
    """One markdown row: the worst relative error of the triton backend against torch (FAIL if it raises)."""
    torch.manual_seed(0)
    inputs = op_inputs(op, batch=2, seq_len=seq_len, heads=4, dim=dim, with_state=True, device=device)
    inputs = {
        name: tuple(x.to(dtype).requires_grad_(grad) for x in value)
        if isinstance(value, tuple)
        else value.to(dtype).requires_grad_(grad)
        for name, value in inputs.items()
    }
    row = check_row(op, dtype, dim, seq_len, grad)
    expected = run_op(op, inputs, "torch", chunk_size, grad)
    try:
        actual = run_op(op, inputs, "triton", chunk_size, grad)
    except Exception as error:  # a kernel that does not compile or run is reported, not fatal
        message = " ".join(f"{type(error).__name__}: {error}".split())[:300].replace("|", "/")
        return f"{row} {message} | | FAIL |"
    errors = {
        name: ((actual[name].float() - x.float()).abs().max() / x.float().abs().max().clamp_min(1e-6)).item()
        for name, x in expected.items()
    }
    worst = max(errors, key=errors.get)
    passed = errors[worst] <= RELATIVE_TOLERANCE[dtype]
    return f"{row} {worst} | {errors[worst]:.2e} | {'pass' if passed else 'FAIL'} |"


def correctness_table(args: argparse.Namespace) -> List[str]:
    rows = [
        "| op | dtype | D | T | mode | worst tensor (or error) | max error / max magnitude | result |",
        "|---|---|---:|---:|---|---|---:|---|",
    ]
    emit(rows)
    checks = [(torch.bfloat16, dim) for dim in args.check_dims_bfloat16]
    checks += [(torch.float32, dim) for dim in args.check_dims_float32]
    for dtype, dim in sorted(checks, key=lambda check: check[1]):  # the largest head dims (longest compiles) last
        # the last check: the delta rule's token-by-token kernel, sequences shorter than a chunk, without grad
        for op, seq_len, grad in [(op, args.check_T, True) for op in OPS] + [("delta_rule", 7, False)]:
            row = check_row(op, dtype, dim, seq_len, grad)
            if "triton" not in OPS[op].forms:
                rows += emit([f"{row} no triton backend yet | | |"])
            elif past_deadline(args):
                rows += emit([f"{row} skipped: past the suite's time budget | | SKIP |"])
            else:
                rows += emit([compare_backends(op, dtype, seq_len, dim, grad, args.chunk_size, args.device)])
    return rows


def past_deadline(args: argparse.Namespace) -> bool:
    """Whether the suite's time budget is spent (no new measurement starts)."""
    return time.perf_counter() > args.deadline


def emit(rows: List[str]) -> List[str]:
    """Print rows as they are made (so a run cut short still shows them); return them."""
    for row in rows:
        print(row, flush=True)
    return rows


def time_ms(run: Callable[[], None], repeats: int, device: torch.device) -> float:
    """Median time of run() in milliseconds (CUDA events; wall time on CPU), after two warm-up runs."""
    for _ in range(2):
        run()
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            run()
            end.record()
            torch.cuda.synchronize()
            times.append(start.elapsed_time(end))
        else:
            start_time = time.perf_counter()
            run()
            times.append(1e3 * (time.perf_counter() - start_time))
    return statistics.median(times)


def fla_functions() -> Dict[str, Callable]:
    """flash-linear-attention's counterparts (q already scaled: scale=1), or {} when fla is not importable."""
    try:
        from fla.ops.delta_rule import chunk_delta_rule, fused_recurrent_delta_rule
        from fla.ops.linear_attn import chunk_linear_attn
    except ImportError:
        return {}
    return {
        "linear_attention": lambda q, k, v: chunk_linear_attn(q, k, v, scale=1.0, normalize=False)[0],
        "delta_rule": lambda q, k, v, beta: chunk_delta_rule(q, k, v, beta, scale=1.0)[0],
        "delta_rule token by token": lambda q, k, v, beta: fused_recurrent_delta_rule(q, k, v, beta, scale=1.0)[0],
    }


def timing_functions(args: argparse.Namespace, fla: Dict[str, Callable]) -> Dict[str, Dict[str, Callable]]:
    """Benchmark name -> implementation name -> function of the tensor inputs returning the output."""

    def ours(op: str, backend: str) -> Callable:
        return lambda *tensors: getattr(fwp_kernels, op)(*tensors, backend=backend, chunk_size=args.chunk_size)[0]

    functions = {}
    for op in ("linear_attention", "delta_rule"):
        functions[op] = {"triton": ours(op, "triton"), "torch": ours(op, "torch")}
    # Token by token: the triton backend's path for inputs shorter than a chunk, called directly for long T.
    from fwp_kernels.ops.delta_rule.triton import triton_fused_delta_rule

    functions["delta_rule token by token"] = {"triton": lambda *tensors: triton_fused_delta_rule(*tensors)[0]}
    for name, function in fla.items():
        functions[name]["fla"] = function
    return functions


def measure(function: Callable, tensors: List[torch.Tensor], backward: bool, repeats: int) -> Optional[float]:
    """Milliseconds for forward (or forward+backward from a dense output gradient); None if it raises."""
    device = tensors[0].device
    try:
        if not backward:
            with torch.no_grad():
                return time_ms(lambda: function(*tensors), repeats, device)
        leaves = [x.detach().requires_grad_() for x in tensors]
        grad_output = torch.randn_like(function(*leaves))
        return time_ms(lambda: torch.autograd.grad(function(*leaves), leaves, grad_output), repeats, device)
    except Exception as error:  # a failing comparison must not stop the other measurements
        print(f"  failed: {type(error).__name__}: {error}", file=sys.stderr)
        return None


def format_ms(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def format_ratio(other: Optional[float], triton: Optional[float]) -> str:
    return "" if other is None or triton is None else f"{other / triton:.2f}x"


def speed_table(args: argparse.Namespace) -> List[str]:
    fla = fla_functions()
    functions = timing_functions(args, fla)
    rows = emit(
        [
            "| op | D | T | mode | triton (ms) | torch (ms) | fla (ms) | torch / triton | fla / triton |",
            "|---|---:|---:|---|---:|---:|---:|---:|---:|",
        ]
    )
    for dim in args.dims:
        for seq_len in args.T:
            torch.manual_seed(0)
            inputs = op_inputs("delta_rule", args.batch, seq_len, args.heads, dim, False, args.device)
            q, k, v, beta = (x.to(torch.bfloat16) for x in inputs.values())
            for name, implementations in functions.items():
                tensors = [q, k, v] if name == "linear_attention" else [q, k, v, beta]
                passes = (False,) if name.endswith("token by token") else (False, True)
                for backward in passes:
                    if past_deadline(args):
                        rows += emit([f"| {name} | {dim} | {seq_len} | {'fwd+bwd' if backward else 'fwd'} "
                                      "| skipped: past the suite's time budget | | | | |"])
                        continue
                    print(f"timing {name} D={dim} T={seq_len} {'fwd+bwd' if backward else 'fwd'}", file=sys.stderr)
                    times = {
                        impl: measure(function, tensors, backward, args.repeats)
                        for impl, function in implementations.items()
                    }
                    rows += emit(
                        [
                            f"| {name} | {dim} | {seq_len} | {'fwd+bwd' if backward else 'fwd'} "
                            f"| {format_ms(times['triton'])} | {format_ms(times.get('torch'))} "
                            f"| {format_ms(times.get('fla'))} | {format_ratio(times.get('torch'), times['triton'])} "
                            f"| {format_ratio(times.get('fla'), times['triton'])} |"
                        ]
                    )
    if not fla:
        rows += emit(["\n(fla not importable: no flash-linear-attention comparison.)"])
    return rows


def recurrent_speed_table(args: argparse.Namespace) -> List[str]:
    """Triton vs torch backend for the recurrent ops, float32, without initial state."""
    rows = emit(
        [
            "| op | D | T | mode | triton (ms) | torch (ms) | torch / triton |",
            "|---|---:|---:|---|---:|---:|---:|",
        ]
    )
    for dim in sorted(args.recurrent_dims):  # the largest head dims (longest compiles) last
        for op in ("delta_rnn", "delta_lstm", "recurrent_delta_rule"):
            for seq_len in args.recurrent_T:
                torch.manual_seed(0)
                inputs = op_inputs(op, args.batch, seq_len, args.heads, dim, False, args.device)
                names, tensors = list(inputs), list(inputs.values())
                for backward in (False, True):
                    if past_deadline(args):
                        rows += emit([f"| {op} | {dim} | {seq_len} | {'fwd+bwd' if backward else 'fwd'} "
                                      "| skipped: past the suite's time budget | | |"])
                        continue
                    print(f"timing {op} D={dim} T={seq_len} {'fwd+bwd' if backward else 'fwd'}", file=sys.stderr)
                    times = {
                        backend: measure(
                            lambda *xs, backend=backend: getattr(fwp_kernels, op)(**dict(zip(names, xs)), backend=backend)[0],
                            tensors,
                            backward,
                            args.recurrent_repeats,
                        )
                        for backend in ("triton", "torch")
                    }
                    rows += emit(
                        [
                            f"| {op} | {dim} | {seq_len} | {'fwd+bwd' if backward else 'fwd'} "
                            f"| {format_ms(times['triton'])} | {format_ms(times['torch'])} "
                            f"| {format_ratio(times['torch'], times['triton'])} |"
                        ]
                    )
    return rows


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    args.device = suite_device(args.smoke)
    started = time.perf_counter()
    args.deadline = started + args.time_budget
    header = [
        f"## GPU suite: {device_description(args.device)}, {date.today().isoformat()}",
        "",
        f"`python -m benchmarks.gpu_suite{' --smoke' if args.smoke else ''}`; torch {torch.__version__}, "
        f"triton {triton_version()}. Correctness: triton vs torch backend, B=2, H=4, T={args.check_T}, with an "
        "initial state; error relative to the largest magnitude.",
        "",
    ]
    report = emit(header) + correctness_table(args)
    report += emit(
        [
            "",
            f"Speed: bfloat16, B={args.batch}, H={args.heads}, Dk=Dv=D, chunk size {args.chunk_size}; median of "
            f"{args.repeats} runs; ratios > 1 mean triton is faster.",
            "",
        ]
    )
    report += speed_table(args)
    report += emit(["", f"End to end: fairseq-train --{args.e2e_precision}, paper-small models (16 blocks, d_model "
                        f"128, 8 heads of 16), {args.e2e_updates} updates of 24 segments of 256 tokens on a synthetic "
                        "stream over a 267,735-type dictionary; words/s: median of the train_inner logs after the "
                        "first.", ""])
    report += end_to_end_rows(args)
    report += emit(
        [
            "",
            f"Recurrent ops: float32, B={args.batch}, H={args.heads}, no initial state; median of "
            f"{args.recurrent_repeats} runs; torch is the backend's fastest PyTorch form.",
            "",
        ]
    )
    report += recurrent_speed_table(args)
    report += emit(["", f"The suite took {time.perf_counter() - started:.0f} s, compiling included."])
    if not args.no_results_file:
        with RESULTS_FILE.open("a") as results:
            results.write("\n" + "\n".join(report) + "\n")
    if any(row.endswith("| FAIL |") for row in report):
        sys.exit(1)


def end_to_end_rows(args: argparse.Namespace) -> List[str]:
    """benchmarks.fairseq_throughput's rows (printed as they come); a FAIL row when fairseq cannot run."""
    try:
        from benchmarks import fairseq_throughput

        throughput_args = fairseq_throughput.parse_args(
            ["--precision", args.e2e_precision, "--updates", str(args.e2e_updates), *(["--smoke"] if args.smoke else [])]
        )
        return fairseq_throughput.throughput_rows(throughput_args, deadline=args.deadline)
    except Exception as error:  # e.g. fairseq not importable: the other parts still count
        return emit([f"| end to end | {type(error).__name__}: {str(error)[:200]} | FAIL |"])


def device_description(device: torch.device) -> str:
    """The GPU's name and driver version (or the CPU, for --smoke)."""
    if device.type != "cuda":
        return "CPU (--smoke: Triton interpreter, tiny sizes)"
    driver = "unknown"
    try:
        driver = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                                capture_output=True, text=True, timeout=30).stdout.strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        pass
    return f"{torch.cuda.get_device_name()}, driver {driver}, CUDA {torch.version.cuda}"


def triton_version() -> str:
    try:
        import triton
    except ImportError:
        return "not installed"
    return triton.__version__


if __name__ == "__main__":
    main()
