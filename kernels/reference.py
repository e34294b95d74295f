"""The naive forms, the step-by-step references: the test oracle for every backend.

These loop over time steps exactly as the recurrences are written (each op's
`fwp_kernels.ops.<op>.naive`, its "naive" form in `fwp_kernels.ops.OPS`); they are
slow and meant for checking, not for training. Same arguments as the public ops,
minus `backend` and `chunk_size`, and no input validation.
"""

from fwp_kernels.ops.delta_lstm.naive import naive_delta_lstm
from fwp_kernels.ops.delta_rnn.naive import naive_delta_rnn
from fwp_kernels.ops.delta_rule.naive import naive_delta_rule
from fwp_kernels.ops.linear_attention.naive import naive_linear_attention
from fwp_kernels.ops.recurrent_delta_rule.naive import naive_recurrent_delta_rule

__all__ = [
    "naive_delta_lstm",
    "naive_delta_rnn",
    "naive_delta_rule",
    "naive_linear_attention",
    "naive_recurrent_delta_rule",
]
