"""fairseq user-dir for recurrent fast weight programmers.

``fairseq-train --user-dir /abs/path/fwp_plugin --arch fwp_delta_net_wt103_small ...``
Importing it registers the ``fwp_lm`` model, its architectures, the
Transformer baselines and the ``language_modeling_carried_state`` task; the
algorithmic tasks ``code_execution`` and ``listops``, their criterions
``code_execution_accuracy`` and ``listops_accuracy``, the ``fwp_tagger`` and
``lstm_tagger`` models and their ``*_algorithmic`` architectures; and lets
torch >= 2.6 load fairseq checkpoints. Every registering module is imported
here explicitly: fairseq skips its own discovery of ``models/``, ``tasks/``
and ``criterions/`` when the package is already imported.

The plugin's own command-line tools (``python -m fwp_plugin.data.listops``,
``python -m fwp_plugin.rl.train``, ...) need no registration: Python imports
this package while it locates such a module, with ``sys.argv[0] == "-m"``
(documented behaviour of ``-m``), and registration, which imports fairseq
(seconds), is skipped then.
"""

import sys


def register_with_fairseq() -> None:
    """Import every module that registers a model, task or criterion with fairseq."""
    from . import criterions, models, tasks  # noqa: F401
    from .checkpoint_compat import allow_fairseq_checkpoint_globals

    allow_fairseq_checkpoint_globals()


if getattr(sys, "argv", [])[:1] != ["-m"]:
    register_with_fairseq()
