"""Triton kernels for the fast-weight ops, one module per recurrence.

Imported only when the "triton" backend is selected (see `fwp_kernels.backend`);
on CPU tensors they run under the Triton interpreter (TRITON_INTERPRET=1 set
before import).
"""
