"""fairseq user-dir for recurrent fast weight programmers.

``fairseq-train --user-dir /abs/path/fwp_plugin --arch fwp_delta_net_wt103_small ...``
Importing it registers the ``fwp_lm`` model, its architectures, the
Transformer baselines and the ``language_modeling_carried_state`` task; the
algorithmic tasks ``code_execution`` and ``listops``, their criterions
``code_execution_accuracy`` and ``listops_accuracy``, the ``fwp_tagger`` and
``lstm_tagger`` models and their ``*_algorithmic`` architectures. It also
lets torch >= 2.6 load fairseq checkpoints and refuses a ``--task`` that
loading a checkpoint would ignore (``checkpoint_compat``), gives
fairseq 0.12 back the NumPy aliases that NumPy 2 removed (``numpy_compat``)
and makes ``fairseq-eval-lm`` refuse segments the model cannot score instead
of printing a perplexity over nothing (``eval_lm_guard``), and
``language_modeling`` refuse sizes below 1 (``sizes``). Every registering
module is imported here explicitly: fairseq skips its own discovery of
``models/``, ``tasks/`` and ``criterions/`` when the package is already
imported.

The plugin's own command-line tools (``python -m fwp_plugin.data.listops``,
``python -m fwp_plugin.rl.train``, ...) need no registration: Python imports
this package while it locates such a module, with ``sys.argv[0] == "-m"``
(documented behaviour of ``-m``), and registration, which imports fairseq
(seconds), is skipped then.
"""

import sys


def register_with_fairseq() -> None:
    """Register the plugin's models, tasks and criterions and install its fixes to
    fairseq 0.12's environment (checkpoint loading, NumPy 2 aliases, eval-lm sizes,
    language_modeling's sizes)."""
    from . import criterions, models, tasks  # noqa: F401
    from .checkpoint_compat import allow_fairseq_checkpoint_globals, install_checkpoint_loader
    from .eval_lm_guard import install_eval_lm_guard
    from .numpy_compat import install_numpy_aliases
    from .sizes import install_task_size_check

    allow_fairseq_checkpoint_globals()
    install_checkpoint_loader()
    install_numpy_aliases()
    install_eval_lm_guard()
    install_task_size_check()


if getattr(sys, "argv", [])[:1] != ["-m"]:
    register_with_fairseq()
