"""Sizes that must be at least 1, refused with a ValueError that names the flag.

fairseq 0.12 takes ``--decoder-layers 0`` (a model with no blocks), reads
``--batch-size 0`` as no limit (the whole split in one batch) and fails on
``--tokens-per-sample 0`` or ``--decoder-attention-heads 0`` with a
ZeroDivisionError far from the cause. ``check_positive`` is the one check:

- the models call it on their own sizes when they are built
  (``blocks_config.check_block_sizes``, ``LSTMTagger``);
- the tasks call ``check_task_sizes`` on their config when they are
  constructed (the plugin's tasks in their ``__init__``; fairseq's
  ``language_modeling`` through ``install_task_size_check``), before any data
  is read: in fairseq-eval-lm that config's ``tokens_per_sample`` is already
  ``--tokens-per-sample`` minus ``--context-window``.
"""

import functools
from typing import Dict

SEGMENT = ("a segment must hold at least one token to score (in fairseq-eval-lm the segment is "
           "--tokens-per-sample minus --context-window: there pass a --tokens-per-sample above "
           "--context-window, or drop --context-window)")
BATCH = ("a batch must hold at least one sequence (fairseq reads 0 or less as no limit and puts "
         "the whole split in one batch)")
# option -> why it must be at least 1
BATCH_SIZES: Dict[str, str] = {"batch_size": BATCH, "batch_size_valid": BATCH}
TASK_SIZES: Dict[str, str] = {"tokens_per_sample": SEGMENT, **BATCH_SIZES}


def check_positive(cfg, sizes: Dict[str, str]) -> None:
    """Raise a ValueError naming the first option of ``sizes`` (option -> why it must be
    at least 1) that ``cfg`` sets below 1. Options ``cfg`` lacks or leaves unset (None,
    or an unresolved ``${...}`` in a bare dataclass) are not checked."""
    for name, reason in sizes.items():
        value = getattr(cfg, name, None)
        if isinstance(value, int) and not isinstance(value, bool) and value < 1:
            flag = "--" + name.replace("_", "-")
            raise ValueError(f"{flag} {value}: {reason}; pass {flag} 1 or more")


def check_task_sizes(cfg) -> None:
    """A language-modelling task's segment length and batch sizes."""
    check_positive(cfg, TASK_SIZES)


def install_task_size_check() -> None:
    """Make fairseq's ``LanguageModelingTask`` check its sizes when it is constructed (once)."""
    from fairseq.tasks.language_modeling import LanguageModelingTask

    original = LanguageModelingTask.__init__
    if getattr(original, "fwp_size_check", False):
        return

    @functools.wraps(original)
    def __init__(self, args, *more, **kwargs):
        check_task_sizes(args)
        original(self, args, *more, **kwargs)

    __init__.fwp_size_check = True
    LanguageModelingTask.__init__ = __init__
