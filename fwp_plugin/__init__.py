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
"""

from . import criterions  # noqa: F401
from . import models  # noqa: F401
from . import tasks  # noqa: F401
from .checkpoint_compat import allow_fairseq_checkpoint_globals

allow_fairseq_checkpoint_globals()
