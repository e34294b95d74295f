"""Make ``fairseq-eval-lm --task language_modeling`` refuse instead of skipping what it cannot score.

fairseq 0.12's ``LanguageModelingTask.eval_lm_dataloader`` batches with
``ignore_invalid_inputs=True``: every sample longer than the model's
``max_positions()`` is dropped with one warning, and nothing else complains.
With ``--tokens-per-sample`` above what the model accepts (4096 on a model
trained with 128 sinusoidal positions) every segment is dropped and
fairseq-eval-lm prints "Evaluated 0 tokens", "Perplexity: 1.00" and exits 0;
just above it, all but the split's short last segment are dropped and the
perplexity is that of a few tokens.

``install_eval_lm_guard`` (called by ``register_with_fairseq``, so any
``fairseq-eval-lm --user-dir fwp_plugin``) wraps that method, which only
fairseq-eval-lm calls, to check the split against the model first and raise a
``ValueError`` that names the problem and the flag to change when:

- no token would be scored (every sample too long, or an empty split); or
- with ``--sample-break-mode`` none/complete/complete_doc, the window the model
  would see (``--tokens-per-sample``, which includes ``--context-window``) is
  longer than the model's ``max_positions()``: segments of that length would be
  dropped or would run past the positions the model was built for.

Single lines longer than the model accepts (``--sample-break-mode eos`` or
complete) are still skipped with fairseq's warning, as before, as long as
something is left to score. The check holds for every model, fairseq's
Transformer baselines included; fast-weight models trained with
``--no-token-positional-embeddings`` have no position limit unless
``--max-target-positions`` sets one (``FastWeightDecoder.max_positions``), so
no length trips it for them. The model cannot do this check itself: it cannot tell fairseq-eval-lm, which
cuts the split into ``--tokens-per-sample`` segments, from
fairseq-interactive, where that flag only caps prompt lengths.
"""

import functools
import inspect
import numbers

import numpy as np


def eval_lm_size_problem(dataset, max_positions, tokens_per_sample: int, context_window: int,
                         sample_break_mode) -> str:
    """Why fairseq-eval-lm cannot score ``dataset`` meaningfully, or '' if it can.

    ``tokens_per_sample`` is the task's (fairseq-eval-lm has already taken
    ``context_window`` off the user's ``--tokens-per-sample``)."""
    window = tokens_per_sample + context_window
    flag = f"--tokens-per-sample {window}" + (f" (with --context-window {context_window})" if context_window else "")
    sizes = getattr(dataset, "sizes", None)
    if len(dataset) == 0 or (isinstance(sizes, np.ndarray) and not sizes.sum()):
        return "the split to evaluate holds no tokens: there is no perplexity to report"
    if not isinstance(max_positions, numbers.Number):  # None: no limit; tuples are not language models
        return ""
    max_positions = int(max_positions)
    fix = (f"pass --tokens-per-sample {max_positions} or less (it includes --context-window). "
           f"A fast-weight model trained with --no-token-positional-embeddings has no such limit")
    if sample_break_mode != "eos" and window > max_positions:
        return (f"{flag} is longer than the {max_positions} positions the model accepts: "
                f"fairseq-eval-lm would skip every segment longer than that (or feed the model inputs "
                f"past its positions) and report a perplexity over what is left; {fix}")
    kept, skipped = dataset.filter_indices_by_size(np.arange(len(dataset)), max_positions)
    if len(kept) == 0:
        if sample_break_mode == "eos":
            fix = (f"with --sample-break-mode eos every line is one sample: pass "
                   f"--sample-break-mode none --tokens-per-sample {max_positions}")
        return (f"all {len(skipped)} samples are longer than the {max_positions} positions the model "
                f"accepts, so fairseq-eval-lm would score 0 tokens and print a meaningless perplexity; {fix}")
    return ""


def install_eval_lm_guard() -> None:
    """Wrap ``LanguageModelingTask.eval_lm_dataloader`` with the size check (once)."""
    from fairseq.tasks.language_modeling import LanguageModelingTask

    original = LanguageModelingTask.eval_lm_dataloader
    if getattr(original, "fwp_size_guard", False):
        return
    signature = inspect.signature(original)

    @functools.wraps(original)
    def eval_lm_dataloader(self, *args, **kwargs):
        call = signature.bind(self, *args, **kwargs)
        call.apply_defaults()
        problem = eval_lm_size_problem(
            call.arguments["dataset"], call.arguments["max_positions"], self.args.tokens_per_sample,
            call.arguments["context_window"], getattr(self.args, "sample_break_mode", None),
        )
        if problem:
            raise ValueError(f"fairseq-eval-lm: {problem}")
        return original(self, *args, **kwargs)

    eval_lm_dataloader.fwp_size_guard = True
    LanguageModelingTask.eval_lm_dataloader = eval_lm_dataloader
