"""Implementations of the fast weight ops, one subpackage per op.

Each subpackage holds `naive.py`, the step-by-step loop written straight from
the recurrence (the test oracle, see `fwp_kernels.reference`), and `chunk.py`, the
chunkwise-parallel PyTorch form (the "torch" backend); the recurrent delta rule,
a true RNN, has `fused.py`, a lean step loop, instead. The Delta RNN and Delta
LSTM reuse the delta rule's chunk (`delta_rule/chunk.py`) and read their
recurrent fast weights step by step with `delta_rule/step_readout.py`. These
functions do not validate their inputs; the public entry points in
`fwp_kernels.api` do.
"""
