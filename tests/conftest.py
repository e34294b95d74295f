"""Settings for the whole suite.

The tests use tiny tensors, for which one torch thread is faster than several
and does not slow to a crawl when the machine is busy (thread oversubscription).
The Triton kernels are tested on CPU tensors under the Triton interpreter, which
must be switched on before any @triton.jit runs, i.e. before any test module
(the benchmarks' too) imports an op's triton.py (fwp_kernels.ops.<op>.triton).
"""

import os

os.environ["TRITON_INTERPRET"] = "1"

import torch  # noqa: E402

torch.set_num_threads(1)
