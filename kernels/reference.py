"""The step-by-step references: the test oracle for every backend.

These loop over time steps exactly as the recurrences are written (see
`fwp_kernels.ops.*.naive`); they are slow and meant for checking, not for training.
Same arguments as the public ops, minus `backend` and `chunk_size`, and no
input validation.
"""

from fwp_kernels.ops.delta_lstm.naive import delta_lstm_step_loop
from fwp_kernels.ops.delta_rnn.naive import delta_rnn_step_loop
from fwp_kernels.ops.delta_rule.naive import delta_rule_step_loop
from fwp_kernels.ops.linear_attention.naive import linear_attention_step_loop
from fwp_kernels.ops.recurrent_delta_rule.naive import recurrent_delta_rule_step_loop

__all__ = [
    "delta_lstm_step_loop",
    "delta_rnn_step_loop",
    "delta_rule_step_loop",
    "linear_attention_step_loop",
    "recurrent_delta_rule_step_loop",
]
