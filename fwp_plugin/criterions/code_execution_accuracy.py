"""``--criterion code_execution_accuracy``: cross-entropy over every real position.

Logged (``tagging_metrics``): ``loss``, and the accuracies in percent
``seq_acc`` (programs with every position right: the paper's metric),
``print_acc`` (positions whose target is a printed value, not ``_``) and
``token_acc`` (all real positions). Padding is ignored throughout.
"""

import torch.nn.functional as F
from fairseq.criterions import FairseqCriterion, register_criterion
from fairseq.dataclass import FairseqDataclass

from .tagging_metrics import log_loss, log_percentage


@register_criterion("code_execution_accuracy", dataclass=FairseqDataclass)  # no options
class CodeExecutionAccuracyCriterion(FairseqCriterion):
    def __init__(self, task):
        super().__init__(task)
        self.padding_idx = task.target_dictionary.pad()
        self.no_output_index = task.no_output_index

    def forward(self, model, sample):
        """Loss summed over the real positions, their number, and the counts to log."""
        logits = model(**sample["net_input"])  # [B, T, C]
        target = sample["target"]  # [B, T]
        real = target.ne(self.padding_idx)
        loss = F.cross_entropy(logits[real].float(), target[real], reduction="sum")
        right = logits.argmax(-1).eq(target) & real
        wrong = ~right & real
        prints = real & target.ne(self.no_output_index)
        positions = int(real.sum())
        logging_output = {
            "loss": loss.data,
            "sample_size": positions,
            "ntokens": positions,
            "nsentences": target.size(0),
            "correct_sequences": int((~wrong.any(dim=1)).sum()),
            "correct_tokens": int(right.sum()),
            "prints": int(prints.sum()),
            "correct_prints": int((right & prints).sum()),
        }
        return loss, positions, logging_output

    @staticmethod
    def reduce_metrics(logging_outputs) -> None:
        log_loss(logging_outputs)
        log_percentage("seq_acc", "correct_sequences", "nsentences", logging_outputs)
        log_percentage("print_acc", "correct_prints", "prints", logging_outputs)
        log_percentage("token_acc", "correct_tokens", "ntokens", logging_outputs)

    @staticmethod
    def logging_outputs_can_be_summed() -> bool:
        return True
