"""``--criterion listops_accuracy``: cross-entropy at the last real token of each sequence.

The model's logits ``[B, T, 10]`` are read at index ``src_lengths - 1`` of
each row: a causal model has seen the whole sequence there and none of the
right padding. Logged (``tagging_metrics``): ``loss`` and ``acc`` (percent).
"""

import torch
import torch.nn.functional as F
from fairseq.criterions import FairseqCriterion, register_criterion
from fairseq.dataclass import FairseqDataclass

from .tagging_metrics import log_loss, log_percentage


def last_real_logits(logits: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """logits: [B, T, C], lengths: [B] -> the logits at each row's last real token, [B, C]."""
    rows = torch.arange(logits.size(0), device=logits.device)
    return logits[rows, lengths.to(logits.device) - 1]


@register_criterion("listops_accuracy", dataclass=FairseqDataclass)  # no options
class ListOpsAccuracyCriterion(FairseqCriterion):
    def forward(self, model, sample):
        """Loss summed over the sequences, their number, and the counts to log."""
        logits = last_real_logits(model(**sample["net_input"]), sample["net_input"]["src_lengths"])
        target = sample["target"]  # [B]
        loss = F.cross_entropy(logits.float(), target, reduction="sum")
        sequences = target.size(0)
        logging_output = {
            "loss": loss.data,
            "sample_size": sequences,
            "ntokens": sample["ntokens"],
            "nsentences": sequences,
            "correct": int(logits.argmax(-1).eq(target).sum()),
        }
        return loss, sequences, logging_output

    @staticmethod
    def reduce_metrics(logging_outputs) -> None:
        log_loss(logging_outputs)
        log_percentage("acc", "correct", "nsentences", logging_outputs)

    @staticmethod
    def logging_outputs_can_be_summed() -> bool:
        return True
