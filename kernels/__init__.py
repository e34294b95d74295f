"""Fast weight ops for the fast weight programmer layers (Irie et al., NeurIPS 2021).

    from kernels import linear_attention, delta_rule
    o, state = linear_attention(q, k, v, normalize=False, initial_state=None, output_final_state=False)
    o, state = delta_rule(q, k, v, beta, initial_state=None, output_final_state=False)

q, k: [B, T, H, Dk] (already feature-mapped), v: [B, T, H, Dv], beta: [B, T, H];
the fast weights W: [B, H, Dv, Dk] map a key to a value. Both ops support
autograd for every input, including the initial state.

Backends (argument `backend`, default "auto"; see `kernels.backend`):
  "torch"  the chunkwise-parallel PyTorch forms (any device).
"auto" uses the environment variable FWP_BACKEND when set, else "torch".

The step-by-step loops that define the ops are in `kernels.reference`.
Neither fairseq nor triton is needed to import this package.
"""

from kernels.api import delta_rule, linear_attention

__all__ = ["delta_rule", "linear_attention"]
