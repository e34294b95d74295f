"""Triton code shared by several ops: the chunkwise state recurrence of linear attention and the
delta rule (`triton_chunk`), and the building blocks of the fused recurrent kernels (`triton_recurrent`)."""
