"""Let torch >= 2.6 load fairseq checkpoints that hold non-tensor Python objects.

torch >= 2.6 loads with ``weights_only=True``; older fairseq checkpoints keep
an ``argparse.Namespace`` of options and numpy scalars in their metadata,
which that loader rejects ("Unsupported global"). Importing the plugin
allow-lists exactly those classes, so ``fairseq-eval-lm --user-dir ...``
loads such checkpoints with no environment variable set.
"""

import argparse

import numpy
import torch


def fairseq_checkpoint_globals():
    """The non-tensor classes found in fairseq checkpoints."""
    scalar_module = getattr(numpy, "_core", None) or numpy.core
    numpy_dtypes = [type(numpy.dtype(kind)) for kind in ("float16", "float32", "float64", "int32", "int64", "bool")]
    return [argparse.Namespace, scalar_module.multiarray.scalar, numpy.dtype, *numpy_dtypes]


def allow_fairseq_checkpoint_globals() -> None:
    torch.serialization.add_safe_globals(fairseq_checkpoint_globals())
