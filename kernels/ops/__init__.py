"""Implementations of the fast weight ops, one subpackage per op.

Each subpackage holds `naive.py`, the step-by-step loop written straight from
the recurrence (the test oracle, see `kernels.reference`), and `chunk.py`, the
chunkwise-parallel PyTorch form (the "torch" backend). These functions do not
validate their inputs; the public entry points in `kernels.api` do.
"""
