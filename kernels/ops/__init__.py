"""The fast weight ops, one folder per op, and their interfaces by name (`OPS`).

Each folder `fwp_kernels.ops.<op>` holds everything about one op:
  interface.py  its `OpInterface` (`fwp_kernels.interface`): inputs, state parts,
                input checks, forms, example inputs
  naive.py      `naive_<op>`: the step loop written straight from the recurrence
                (the test oracle, see `fwp_kernels.reference`)
  chunk.py      `chunk_<op>`: the chunkwise-parallel PyTorch form (the "torch"
                backend); the recurrent delta rule, a true RNN, has fused.py
                (`fused_recurrent_delta_rule`, a lean step loop) instead
  triton.py     `triton_chunk_<op>` / `triton_fused_<op>`: the Triton kernels
                (the "triton" backend; chunkwise, or one fused kernel stepping
                through time), imported only when they run; the delta rule's
                intra-chunk WY factors are in its triton_wy.py
The Delta RNN and Delta LSTM reuse the delta rule's chunk (`delta_rule/chunk.py`)
and read their recurrent fast weights step by step with
`delta_rule/step_readout.py`. Triton code shared by several ops is in `common/`.
The forms do not validate their inputs; the public ops in `fwp_kernels.api` do.
"""

from typing import Dict

from fwp_kernels.interface import OpInterface
from fwp_kernels.ops.delta_lstm.interface import INTERFACE as DELTA_LSTM
from fwp_kernels.ops.delta_rnn.interface import INTERFACE as DELTA_RNN
from fwp_kernels.ops.delta_rule.interface import INTERFACE as DELTA_RULE
from fwp_kernels.ops.linear_attention.interface import INTERFACE as LINEAR_ATTENTION
from fwp_kernels.ops.recurrent_delta_rule.interface import INTERFACE as RECURRENT_DELTA_RULE

# Every op's interface by its name, in the order of the model family (fwp_kernels.__all__ sorts by name).
OPS: Dict[str, OpInterface] = {
    interface.name: interface
    for interface in (LINEAR_ATTENTION, DELTA_RULE, DELTA_RNN, DELTA_LSTM, RECURRENT_DELTA_RULE)
}
