"""Settings for the whole suite.

The tests use tiny tensors, for which one torch thread is faster than several
and does not slow to a crawl when the machine is busy (thread oversubscription).
"""

import torch

torch.set_num_threads(1)
