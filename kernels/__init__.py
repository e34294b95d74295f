"""Fast weight ops for the fast weight programmer layers (Irie et al., NeurIPS 2021).

    from fwp_kernels import linear_attention, delta_rule, delta_rnn, delta_lstm, recurrent_delta_rule
    o, state = linear_attention(q, k, v, normalize=False, initial_state=None, output_final_state=False)
    o, state = delta_rule(q, k, v, beta, initial_state=None, output_final_state=False)
    y, (W, R, y_last) = delta_rnn(q, k, v, beta, rk, rv, rbeta, output_final_state=True)
    h, (W, R, h_last, c_last) = delta_lstm(q, k, v, beta, rk, rv, rbeta, output_final_state=True)
    y, (W, y_last) = recurrent_delta_rule(q, k, v, beta, Rq, Rk, Rv, rbeta, output_final_state=True)

q, k: [B, T, H, Dk] (already feature-mapped), v: [B, T, H, Dv], beta: [B, T, H];
the fast weights W: [B, H, Dv, Dk] map a key to a value. The Delta RNN adds
recurrent fast weights R programmed from (rk, rv, rbeta); the Delta LSTM has a
gate axis [B, T, H, 3, D]; the recurrent delta rule (RDN) takes pre-activation
q, k, v, beta and slow recurrent weights Rq, Rk, Rv: [H, D, D], rbeta: [H, D]
(see `fwp_kernels.api`). Every op supports autograd for every input, including the
initial state, and takes reset: [B, T] bool, which zeroes a row's whole state
just before a step (episode boundaries inside a batch of unrolls; `fwp_kernels.resets`).

Backends (argument `backend`, default "auto"; see `fwp_kernels.backend`):
  "torch"   the chunkwise-parallel PyTorch forms, and a lean step loop for the
            recurrent delta rule (any device).
  "triton"  the Triton kernels, `fwp_kernels.ops.<op>.triton` (CUDA; CPU tensors only under
            the Triton interpreter, TRITON_INTERPRET=1).
"auto" uses the environment variable FWP_BACKEND when set, else "triton" for
CUDA tensors of ops that have Triton kernels and "torch" otherwise.

Each op's folder `fwp_kernels.ops.<op>` holds its interface (inputs, state
parts, checks, forms, example inputs: `fwp_kernels.ops.OPS`) and its forms;
the naive step-by-step loops that define the ops are in `fwp_kernels.reference`.
Neither fairseq nor triton is needed to import this package (triton is imported
only when the triton backend runs).
"""

from fwp_kernels.api import delta_lstm, delta_rnn, delta_rule, linear_attention, recurrent_delta_rule

__all__ = ["delta_lstm", "delta_rnn", "delta_rule", "linear_attention", "recurrent_delta_rule"]
