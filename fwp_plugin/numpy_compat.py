"""Restore the NumPy aliases that fairseq 0.12 still uses and NumPy 2 removed.

fairseq 0.12's library code (``fairseq/``, not ``examples/``) uses three
NumPy names that no longer exist:

- ``np.compat.long`` (``numpy.compat`` is gone in NumPy 2):
  ``TokenBlockDataset`` with ``--sample-break-mode eos``, which is also what
  ``fairseq-interactive`` builds for every language-model prompt, and
  ``LanguagePairDataset``;
- ``np.int`` (gone since NumPy 1.24): ``data_utils.compute_mask_indices``
  (wav2vec-style span masking);
- ``np.float`` (gone since NumPy 1.24): ``DynamicCRF`` (non-autoregressive MT).

All three were plain aliases of Python's ``int`` and ``float``, so
``install_numpy_aliases`` sets exactly those values, and only where NumPy has
no attribute of that name: it never replaces anything NumPy defines (NumPy 1.x
keeps its own ``numpy.compat``; a future NumPy that gives ``np.int`` a meaning
keeps it). ``numpy.compat`` is added as an attribute only, not as an
importable module.

**Who needs it.** ``register_with_fairseq`` (``fwp_plugin/__init__.py``)
installs it, so every fairseq command that loads the plugin has it:
``fairseq-train``, ``fairseq-validate``, ``fairseq-eval-lm``,
``fairseq-generate`` and ``fairseq-interactive`` with
``--user-dir /abs/path/fwp_plugin`` (which they need anyway for the plugin's
models). ``fairseq-preprocess`` takes none of these code paths and works
without the plugin. Code that never loads the plugin (``python -m
fwp_plugin.data...``, ``fwp_kernels``) never needs it.

**Why a shim and not ``numpy<2``.** A pin would downgrade NumPy for the whole
environment: NumPy 1.x has no wheels for Python 3.13 and later, and it would
conflict with any package that needs NumPy 2 installed next to the plugin.
The breakage is three removed spellings of Python builtins; giving them back
their old values changes nothing else, and the plugin's test
(``tests/plugin/test_entry_points.py``) checks that every NumPy name used by
fairseq's installed code resolves.
"""

import types
import warnings

import numpy

REMOVED_ALIASES = {"int": int, "float": float}
REMOVED_COMPAT_ALIASES = {"long": int}


def _has(obj, name: str) -> bool:
    # NumPy 2.0-2.x may still import a deprecated numpy.compat lazily (with a warning).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hasattr(obj, name)


def install_numpy_aliases(module=numpy) -> list:
    """Add to ``module`` (NumPy) the aliases fairseq 0.12 uses that it lacks; returns the names added."""
    added = []
    for name, value in REMOVED_ALIASES.items():
        if not _has(module, name):
            setattr(module, name, value)
            added.append(f"numpy.{name}")
    if not _has(module, "compat"):
        module.compat = types.ModuleType(
            "numpy.compat", "Aliases restored by fwp_plugin.numpy_compat for fairseq 0.12."
        )
        added.append("numpy.compat")
    for name, value in REMOVED_COMPAT_ALIASES.items():
        if not _has(module.compat, name):
            setattr(module.compat, name, value)
            added.append(f"numpy.compat.{name}")
    return added
