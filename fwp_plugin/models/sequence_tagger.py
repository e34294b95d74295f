"""Causal sequence taggers, the models of the algorithmic tasks (code execution, ListOps).

A tagger maps tokens ``src_tokens: [B, T]`` to class logits ``[B, T, C]``,
causally: the logits at position t depend on tokens 0..t only, so right
padding never reaches a real position. C, the number of classes, comes from
the task (its ``num_classes``), not from a flag.
"""

from fairseq.models import BaseFairseqModel


class SequenceTagger(BaseFairseqModel):
    """Base class: subclasses are built as ``cls(cfg, source_dictionary, num_classes)``
    and implement ``forward(src_tokens) -> logits [B, T, C]``."""

    @classmethod
    def build_model(cls, cfg, task):
        num_classes = getattr(task, "num_classes", None)
        if num_classes is None:
            raise ValueError(
                f"{cls.__name__} tags token sequences and takes its number of classes from the "
                f"task: use --task code_execution or --task listops (got {type(task).__name__}), "
                f"or for language modelling a language-model architecture (fwp_lm, fwp_MODEL_tiny, "
                f"fwp_MODEL_wt103_small, ...)"
            )
        return cls(cfg, task.source_dictionary, num_classes)
