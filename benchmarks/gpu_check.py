"""Check and time the Triton backend on a CUDA GPU (one command, a few minutes on an H100).

1. Correctness: for every op of `kernels.backend.IMPLEMENTATIONS` that has a
   "triton" entry, the output, final state and the gradient of every input
   (initial state included) against the "torch" backend at a realistic size
   (B=2, H=4, T=1000, a ragged last chunk, D=64), in float32 and bfloat16, plus
   the delta rule's token-by-token decoding path. Ops without a Triton entry are
   listed as such, so new Triton ops join by their table entry alone.
2. Speed: forward and forward+backward of linear attention and the delta rule
   (and the token-by-token delta rule, forward only) for B=8, H=8,
   T in {512, 2048, 8192}, D in {64, 128}, bfloat16, against the torch backend
   and, when `fla` (flash-linear-attention) is importable, its chunk_linear_attn,
   chunk_delta_rule and fused_recurrent_delta_rule.

Prints markdown tables and appends them, with the device name, to
benchmarks/RESULTS.md. Exits with status 1 if a correctness check fails, and
refuses to run without CUDA.

    python -m benchmarks.gpu_check
    python -m benchmarks.gpu_check --T 512 --dims 64 --no-results-file
"""

import argparse
import statistics
import sys
from datetime import date
from pathlib import Path
from typing import Callable, Dict, List, Optional

import torch
import torch.nn.functional as F

import kernels
from kernels.backend import IMPLEMENTATIONS

RESULTS_FILE = Path(__file__).resolve().parent / "RESULTS.md"

# Largest allowed error relative to the largest magnitude of the torch backend's tensor.
RELATIVE_TOLERANCE = {torch.float32: 1e-3, torch.bfloat16: 3e-2}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--T", type=int, nargs="+", default=[512, 2048, 8192], help="timed sequence lengths")
    parser.add_argument("--dims", type=int, nargs="+", default=[64, 128], help="timed head dims (Dk = Dv)")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--chunk-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=10, help="timed runs per measurement (median reported)")
    parser.add_argument("--no-results-file", action="store_true", help="print only; do not append to RESULTS.md")
    return parser.parse_args(argv)


def require_cuda() -> None:
    """Exit with a message unless a CUDA device is available."""
    if not torch.cuda.is_available():
        sys.exit(
            "gpu_check needs a CUDA GPU (torch.cuda.is_available() is False). On CPU, `make test` checks "
            "the Triton kernels under the Triton interpreter."
        )


def phi(z: torch.Tensor) -> torch.Tensor:
    """sumnorm(elu(z) + 1): the Delta Net's key and query map."""
    positive = F.elu(z) + 1
    return positive / positive.sum(dim=-1, keepdim=True)


def op_inputs(op: str, batch: int, seq_len: int, heads: int, dim: int, with_state: bool) -> Dict[str, object]:
    """Keyword arguments of kernels.<op> (float32, on CUDA), as the paper's layers produce them."""
    device = torch.device("cuda")

    def randn(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, device=device)

    steps = (batch, seq_len, heads)
    if op in ("linear_attention", "delta_rule"):
        inputs = {"q": phi(randn(*steps, dim)), "k": phi(randn(*steps, dim)), "v": randn(*steps, dim)}
        if op == "delta_rule":
            inputs["beta"] = torch.sigmoid(randn(*steps))
        state = 0.5 * randn(batch, heads, dim, dim)
    elif op in ("delta_rnn", "delta_lstm"):
        if op == "delta_lstm":
            steps += (3,)  # the gate axis
        inputs = {
            "q": phi(randn(*steps, dim)),
            "k": phi(randn(*steps, dim)),
            "v": randn(*steps, dim),
            "beta": torch.sigmoid(randn(*steps)),
            "rk": torch.softmax(randn(*steps, dim), dim=-1),
            "rv": randn(*steps, dim),
            "rbeta": torch.sigmoid(randn(*steps)),
        }
        weights = (batch, heads, 3, dim, dim) if op == "delta_lstm" else (batch, heads, dim, dim)
        state = (0.5 * randn(*weights), 0.5 * randn(*weights), randn(batch, heads, dim))
        if op == "delta_lstm":
            state += (randn(batch, heads, dim),)
    elif op == "recurrent_delta_rule":
        inputs = {name: randn(*steps, dim) for name in ("q", "k", "v")}
        inputs["beta"] = randn(*steps)
        inputs.update({name: randn(heads, dim, dim) / dim**0.5 for name in ("Rq", "Rk", "Rv")})
        inputs["rbeta"] = randn(heads, dim) / dim**0.5
        state = (0.5 * randn(batch, heads, dim, dim), randn(batch, heads, dim))
    else:
        raise KeyError(f"gpu_check has no input builder for op {op!r}: add one to op_inputs")
    if with_state:
        inputs["initial_state"] = state
    return inputs


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
    """Output, final state parts and (grad=True) input gradients of kernels.<op>, by name."""
    options = {"backend": backend, "output_final_state": True}
    if op != "recurrent_delta_rule":  # the only op without a chunkwise form
        options["chunk_size"] = chunk_size
    with torch.set_grad_enabled(grad):
        output, state = getattr(kernels, op)(**inputs, **options)
    results = {"output": output, **{f"final state[{i}]": x for i, x in enumerate(flat_tensors(state))}}
    if grad:
        generator = torch.Generator(device="cuda").manual_seed(1)
        loss = sum(
            (x.float() * torch.randn(x.shape, device="cuda", generator=generator)).sum() for x in results.values()
        )
        named = named_tensor_inputs(inputs)
        grads = torch.autograd.grad(loss, list(named.values()))
        results.update({f"grad {name}": g for name, g in zip(named, grads)})
    return results


def compare_backends(op: str, dtype: torch.dtype, seq_len: int, grad: bool, chunk_size: int) -> str:
    """One markdown row: the worst relative error of the triton backend against torch."""
    torch.manual_seed(0)
    inputs = op_inputs(op, batch=2, seq_len=seq_len, heads=4, dim=64, with_state=True)
    inputs = {
        name: tuple(x.to(dtype).requires_grad_(grad) for x in value)
        if isinstance(value, tuple)
        else value.to(dtype).requires_grad_(grad)
        for name, value in inputs.items()
    }
    expected = run_op(op, inputs, "torch", chunk_size, grad)
    actual = run_op(op, inputs, "triton", chunk_size, grad)
    errors = {
        name: ((actual[name].float() - x.float()).abs().max() / x.float().abs().max().clamp_min(1e-6)).item()
        for name, x in expected.items()
    }
    worst = max(errors, key=errors.get)
    passed = errors[worst] <= RELATIVE_TOLERANCE[dtype]
    mode = "fwd+bwd" if grad else "fwd, no grad"
    return f"| {op} | {str(dtype).removeprefix('torch.')} | {seq_len} | {mode} | {worst} | {errors[worst]:.2e} | {'pass' if passed else 'FAIL'} |"


def correctness_table(chunk_size: int) -> List[str]:
    rows = [
        "| op | dtype | T | mode | worst tensor | max error / max magnitude | result |",
        "|---|---|---:|---|---|---:|---|",
    ]
    for op, implementations in IMPLEMENTATIONS.items():
        if "triton" not in implementations:
            rows.append(f"| {op} | | | | no triton backend yet | | |")
            continue
        for dtype in (torch.float32, torch.bfloat16):
            rows.append(compare_backends(op, dtype, seq_len=1000, grad=True, chunk_size=chunk_size))
    # The delta rule's token-by-token kernel: sequences shorter than a chunk, without grad.
    rows.append(compare_backends("delta_rule", torch.bfloat16, seq_len=7, grad=False, chunk_size=chunk_size))
    return rows


def time_ms(run: Callable[[], None], repeats: int) -> float:
    """Median CUDA time of run() in milliseconds, after two warm-up runs."""
    for _ in range(2):
        run()
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        run()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
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
        return lambda *tensors: getattr(kernels, op)(*tensors, backend=backend, chunk_size=args.chunk_size)[0]

    functions = {}
    for op in ("linear_attention", "delta_rule"):
        functions[op] = {"triton": ours(op, "triton"), "torch": ours(op, "torch")}
    # Token by token: the triton backend's path for inputs shorter than a chunk, called directly for long T.
    from kernels.triton.delta_rule import token_by_token_delta_rule

    functions["delta_rule token by token"] = {"triton": lambda *tensors: token_by_token_delta_rule(*tensors)[0]}
    for name, function in fla.items():
        functions[name]["fla"] = function
    return functions


def measure(function: Callable, tensors: List[torch.Tensor], backward: bool, repeats: int) -> Optional[float]:
    """Milliseconds for forward (or forward+backward from a dense output gradient); None if it raises."""
    try:
        if not backward:
            with torch.no_grad():
                return time_ms(lambda: function(*tensors), repeats)
        leaves = [x.detach().requires_grad_() for x in tensors]
        grad_output = torch.randn_like(function(*leaves))
        return time_ms(lambda: torch.autograd.grad(function(*leaves), leaves, grad_output), repeats)
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
    rows = [
        "| op | D | T | mode | triton (ms) | torch (ms) | fla (ms) | torch / triton | fla / triton |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for dim in args.dims:
        for seq_len in args.T:
            torch.manual_seed(0)
            inputs = op_inputs("delta_rule", args.batch, seq_len, args.heads, dim, with_state=False)
            q, k, v, beta = (x.to(torch.bfloat16) for x in inputs.values())
            for name, implementations in functions.items():
                tensors = [q, k, v] if name == "linear_attention" else [q, k, v, beta]
                passes = (False,) if name.endswith("token by token") else (False, True)
                for backward in passes:
                    print(f"timing {name} D={dim} T={seq_len} {'fwd+bwd' if backward else 'fwd'}", file=sys.stderr)
                    times = {
                        impl: measure(function, tensors, backward, args.repeats)
                        for impl, function in implementations.items()
                    }
                    rows.append(
                        f"| {name} | {dim} | {seq_len} | {'fwd+bwd' if backward else 'fwd'} "
                        f"| {format_ms(times['triton'])} | {format_ms(times.get('torch'))} "
                        f"| {format_ms(times.get('fla'))} | {format_ratio(times.get('torch'), times['triton'])} "
                        f"| {format_ratio(times.get('fla'), times['triton'])} |"
                    )
    if not fla:
        rows.append("\n(fla not importable: no flash-linear-attention comparison.)")
    return rows


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    require_cuda()
    device = torch.cuda.get_device_name()
    correctness = correctness_table(args.chunk_size)
    speed = speed_table(args)
    report = "\n".join(
        [
            f"## GPU check: {device}, {date.today().isoformat()}",
            "",
            f"`python -m benchmarks.gpu_check`; torch {torch.__version__}. Correctness: triton vs torch backend, "
            "B=2, H=4, D=64, with an initial state; error relative to the largest magnitude.",
            "",
            *correctness,
            "",
            f"Speed: bfloat16, B={args.batch}, H={args.heads}, Dk=Dv=D, chunk size {args.chunk_size}; median of "
            f"{args.repeats} runs; ratios > 1 mean triton is faster.",
            "",
            *speed,
            "",
        ]
    )
    print(report)
    if not args.no_results_file:
        with RESULTS_FILE.open("a") as results:
            results.write("\n" + report)
    if any(row.endswith("| FAIL |") for row in correctness):
        sys.exit(1)


if __name__ == "__main__":
    main()
