"""The public ops: validate the inputs, pick the backend, run it (`run_op`, reading the op's
interface in `fwp_kernels.ops.OPS`).

Layout: q, k: [B, T, H, Dk]; v: [B, T, H, Dv]; beta: [B, T, H]; outputs
[B, T, H, Dv]. Keys and queries arrive already feature-mapped and scaled
(except for the recurrent delta rule, whose activations depend on the
recurrence). Each op returns (output, final_state); final_state is None unless
output_final_state=True. Passing it as initial_state of the next call
continues the sequence exactly.

Precision: bfloat16/float16/float32 inputs are accumulated in float32, float64
in float64; the output has the input dtype, the final state the accumulation dtype.

Resets: every op takes reset: [B, T] bool (on the device of q) or None. reset[b, t]
= True sets every part of row b's state to zero just before step t, so step t runs
as the first step of a new sequence from a zero state (an episode boundary inside
an unroll); reset[b, 0] = True ignores row b's initial_state. Other rows are
untouched, and no gradient flows across a reset (from outputs after it to inputs
before it, or to the initial state of a row reset at step 0). reset=None is the
plain op, unchanged. The chunkwise forms stay chunkwise with resets, masking
by episode segment (`fwp_kernels.resets`). Only the "torch" backend takes resets:
with a mask, "auto" selects it and "triton" raises a ValueError.

Non-finite inputs (NaN, +-Inf) keep causality: the outputs before the first
non-finite input of a row never depend on it, exactly as in the recurrence as
written (from that step on, the row's outputs and state are NaN/Inf until a
reset zeroes the state). A chunkwise form would spread a NaN at step t to the
earlier outputs of its chunk (0 * NaN in the in-chunk products), so the
chunkwise ops check their sequence inputs first (one device-to-host sync per
call) and, when one holds a non-finite value, run the op's naive step loop
instead (`fwp_kernels.reference`: same arguments, same dtypes, slower),
whatever the backend. The recurrent delta rule is a step loop in every backend already.
"""

from typing import Optional, Tuple

import torch

from fwp_kernels.backend import select_implementation
from fwp_kernels.checks import check_chunk_size, check_reset
from fwp_kernels.ops import OPS
from fwp_kernels.state import LinearAttentionState, StateTuple


def linear_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    normalize: bool = False,
    eps: float = 1e-5,
    initial_state: Optional[LinearAttentionState] = None,
    output_final_state: bool = False,
    backend: str = "auto",
    chunk_size: int = 64,
    reset: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, Optional[LinearAttentionState]]:
    """Linear attention (the sum rule), per batch element and head:

        W_t = W_{t-1} + v_t k_t^T          W: [Dv, Dk]
        o_t = W_t q_t
        with normalize=True:  z_t = z_{t-1} + k_t,  o_t = W_t q_t / (z_t . q_t + eps)

    The state is W: [B, H, Dv, Dk], or the pair (W, z: [B, H, Dk]) when normalize=True.
    `chunk_size` is the number of steps the chunkwise form treats in parallel.
    reset: [B, T] bool or None; reset[b, t] = True sets W (and z) of row b to zero
    just before step t (see the module docstring); no gradient crosses a reset.
    """
    return run_op("linear_attention", locals())


def delta_rule(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    beta: torch.Tensor,
    initial_state: Optional[torch.Tensor] = None,
    output_final_state: bool = False,
    backend: str = "auto",
    chunk_size: int = 64,
    reset: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """The delta rule, per batch element and head:

        W_t = W_{t-1} + beta_t (v_t - W_{t-1} k_t) k_t^T      W: [Dv, Dk]
        o_t = W_t q_t                                          (read after the update)

    The state is W: [B, H, Dv, Dk].
    `chunk_size` is the number of steps the chunkwise form treats in parallel.
    reset: [B, T] bool or None; reset[b, t] = True sets W of row b to zero just
    before step t (see the module docstring); no gradient crosses a reset.
    """
    return run_op("delta_rule", locals())


def delta_rnn(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    beta: torch.Tensor,
    rk: torch.Tensor,
    rv: torch.Tensor,
    rbeta: torch.Tensor,
    initial_state: Optional[StateTuple] = None,
    output_final_state: bool = False,
    backend: str = "auto",
    chunk_size: int = 64,
    reset: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, Optional[StateTuple]]:
    """The Delta RNN, per batch element and head:

        W_t = W_{t-1} + beta_t (v_t - W_{t-1} k_t) k_t^T           W: [D, Dk]
        R_t = R_{t-1} + rbeta_t (rv_t - R_{t-1} rk_t) rk_t^T      R: [D, D]
        y_t = W_t q_t + R_t softmax(y_{t-1})                      (y_0 = 0: a uniform softmax)

    q, k: [B, T, H, Dk]; v, rk, rv: [B, T, H, D]; beta, rbeta: [B, T, H];
    output y: [B, T, H, D]. rk arrives already softmax-ed.
    The state is (W: [B, H, D, Dk], R: [B, H, D, D], y: [B, H, D]).
    `chunk_size` is the number of steps the chunkwise form treats in parallel.
    reset: [B, T] bool or None; reset[b, t] = True sets W, R and y of row b to zero
    just before step t, so softmax(y) is uniform at t (see the module docstring);
    no gradient crosses a reset.
    """
    return run_op("delta_rnn", locals())


def delta_lstm(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    beta: torch.Tensor,
    rk: torch.Tensor,
    rv: torch.Tensor,
    rbeta: torch.Tensor,
    initial_state: Optional[StateTuple] = None,
    output_final_state: bool = False,
    backend: str = "auto",
    chunk_size: int = 64,
    reset: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, Optional[StateTuple]]:
    """The Delta LSTM, per batch element and head, for each gate g in (input, update, output):

        W^g_t = delta rule on (k^g_t, v^g_t, beta^g_t),  R^g_t = delta rule on (rk^g_t, rv^g_t, rbeta^g_t)
        pre^g_t = W^g_t q^g_t + R^g_t softmax(h_{t-1})
        i_t = sigmoid(pre^i_t),  u_t = pre^u_t,  o_t = sigmoid(pre^o_t)
        c_t = i_t * u_t + (1 - i_t) * c_{t-1},   h_t = c_t * o_t

    q, k, v, rk, rv: [B, T, H, 3, D] and beta, rbeta: [B, T, H, 3], with the
    gate axis ordered (input, update, output); output h: [B, T, H, D].
    The state is (W: [B, H, 3, D, D], R: [B, H, 3, D, D], h: [B, H, D], c: [B, H, D]).
    `chunk_size` is the number of steps the chunkwise form treats in parallel.
    reset: [B, T] bool or None; reset[b, t] = True sets W, R, h and c of row b to
    zero just before step t, so softmax(h) is uniform at t (see the module
    docstring); no gradient crosses a reset.
    """
    return run_op("delta_lstm", locals())


def recurrent_delta_rule(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    beta: torch.Tensor,
    Rq: torch.Tensor,
    Rk: torch.Tensor,
    Rv: torch.Tensor,
    rbeta: torch.Tensor,
    initial_state: Optional[StateTuple] = None,
    output_final_state: bool = False,
    backend: str = "auto",
    reset: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, Optional[StateTuple]]:
    """The recurrent delta rule (the RDN), per batch element and head h:

        a_t = tanh(y_{t-1})                                        (y_0 = 0)
        q'_t = softmax(q_t + Rq[h] a_t),  k'_t = softmax(k_t + Rk[h] a_t)
        v'_t = v_t + Rv[h] a_t,           beta'_t = sigmoid(beta_t + rbeta[h] . a_t)
        W_t = W_{t-1} + beta'_t (v'_t - W_{t-1} k'_t) k'_t^T     W: [D, D]
        y_t = W_t q'_t

    q, k, v: [B, T, H, D] and beta: [B, T, H] are the feed-forward parts before
    activation; Rq, Rk, Rv: [H, D, D] and rbeta: [H, D] are slow weights (they
    receive gradients). Output y: [B, T, H, D]. The state is (W: [B, H, D, D], y: [B, H, D]).
    A true RNN: no chunkwise form; the "torch" backend is a lean step loop.
    reset: [B, T] bool or None; reset[b, t] = True sets W and y of row b to zero
    just before step t, so a_t = tanh(0) = 0 (see the module docstring); no
    gradient crosses a reset.
    """
    return run_op("recurrent_delta_rule", locals())


def run_op(name: str, arguments: dict):
    """Run the public op `name` on `arguments`, its parameters by name (its locals()): validate them
    (the op's interface, chunk_size, reset), pick the form (`select_implementation`; the naive step
    loop for a chunkwise op with a non-finite sequence input, see the module docstring) and call it
    with the tensor inputs in order and the rest as keywords."""
    interface = OPS[name]
    arguments = dict(arguments)
    backend, reset = arguments.pop("backend"), arguments.pop("reset")
    interface.check_inputs(arguments)
    q = arguments["q"]
    if interface.chunked:
        check_chunk_size(arguments["chunk_size"])
    check_reset(reset, q)
    head_dims = tuple(arguments[input_name].shape[-1] for input_name in ("q", "k", "v"))
    run = select_implementation(name, backend, q.device, q.dtype, head_dims, needs_reset=reset is not None)
    if interface.chunked and not all_finite(*(arguments[input_name] for input_name in interface.sequence_inputs)):
        run = interface.form("naive")
        del arguments["chunk_size"]
    if reset is not None:  # the Triton kernels, never selected with a reset, take no reset argument
        arguments["reset"] = reset
    tensors = [arguments.pop(input_name) for input_name in interface.tensor_inputs]
    return run(*tensors, **arguments)


def all_finite(*tensors: torch.Tensor) -> bool:
    """Whether every entry of every tensor is finite (one device-to-host sync)."""
    return bool(torch.stack([torch.isfinite(x).all() for x in tensors]).all())
