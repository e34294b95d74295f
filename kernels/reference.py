"""The step-by-step references: the test oracle for every backend.

These loop over time steps exactly as the recurrences are written (see
`kernels.ops.*.naive`); they are slow and meant for checking, not for training.
Same arguments as the public ops, minus `backend` and `chunk_size`, and no
input validation.
"""

from kernels.ops.delta_rule.naive import delta_rule_step_loop
from kernels.ops.linear_attention.naive import linear_attention_step_loop

__all__ = ["delta_rule_step_loop", "linear_attention_step_loop"]
