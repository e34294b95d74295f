"""Language modelling with the fast weights carried across segments (truncated BPTT).

``--task language_modeling_carried_state`` reads a split binarized by
``fairseq-preprocess --only-source`` as one token stream, cuts it into
``--batch-size`` contiguous rows per worker and walks along the rows in order,
``--tokens-per-sample`` tokens at a time (see ``stream_segments``). Every
segment starts from the final fast-weight states of the previous one,
detached, so gradients span one segment while the context spans the whole
row. States start empty at every epoch and every validation pass; checkpoints
keep the training rows' states (every worker's, see ``CarriedStateEpochIterator``),
so a resumed run continues them exactly.

``fairseq-eval-lm --task language_modeling_carried_state --batch-size 1``
scores a split as one stream with the state carried through all of it
(``--batch-size R``: as R rows, each carrying its own state); the
sliding-window evaluation is ``--task language_modeling --context-window C``.
"""

import logging
import os
from dataclasses import dataclass, field
from typing import Optional, Tuple

import torch
from fairseq import distributed_utils, utils
from fairseq.data import Dictionary, data_utils, iterators
from fairseq.dataclass import FairseqDataclass
from fairseq.tasks import FairseqTask, register_task
from omegaconf import II

from ..models.fwp_language_model import FastWeightLanguageModel
from ..sizes import check_task_sizes
from .carried_state import CarriedState
from .stream_segments import StreamSegments

logger = logging.getLogger(__name__)

TASK_NAME = "language_modeling_carried_state"


@dataclass
class CarriedStateLanguageModelingConfig(FairseqDataclass):
    data: Optional[str] = field(
        default=None,
        metadata={"help": "directory written by fairseq-preprocess --only-source (dict.txt, "
                  "train.bin/.idx, ...); several joined by ':' are read one per epoch"},
    )
    tokens_per_sample: int = field(
        default=256,
        metadata={"help": "segment length: tokens of each row per batch; gradients flow "
                  "within a segment, the fast-weight states carry on to the next"},
    )
    max_target_positions: Optional[int] = field(
        default=None,
        metadata={"help": "longest input the model declares it accepts "
                  "(default: no limit, as the model has no positional embeddings)"},
    )
    # The dataset's batch sizes (rows per worker), as fairseq's language_modeling task holds them.
    batch_size: Optional[int] = II("dataset.batch_size")
    batch_size_valid: Optional[int] = II("dataset.batch_size_valid")
    # When fairseq-train saves mid-epoch: the workers' carried states are gathered before those saves.
    save_interval_updates: int = II("checkpoint.save_interval_updates")
    max_update: int = II("optimization.max_update")
    no_save: bool = II("checkpoint.no_save")


class CarriedStateEpochIterator(iterators.EpochBatchIterator):
    """fairseq's epoch iterator whose state (saved in every checkpoint, restored on resume
    before training goes on) also holds the training rows' carried states: a run resumed
    mid-epoch continues each row from the state it had, as if it had not stopped.

    fairseq writes the checkpoint from the first worker only. Its own rows' states are
    ``carried_state``; with several workers, ``carried_state_of_workers`` holds every
    worker's, by shard, gathered after the training step that precedes each save at
    ``--save-interval-updates`` and ``--max-update``. A run stopped by another limit
    (``--stop-time-hours``, ``--patience``) or resumed with another number of workers
    resumes the other workers' rows from empty states, with a warning."""

    def __init__(self, train_state: CarriedState, shard: Tuple[int, int], **kwargs):
        super().__init__(**kwargs)
        self.train_state = train_state
        self.shard = shard  # (shard_id, num_shards): whose rows the states belong to

    def state_dict(self):
        state = {**super().state_dict(), "carried_state": self.train_state.state_dict(),
                 "carried_state_shard": self.shard}
        if self.train_state.of_workers is not None:
            state["carried_state_of_workers"] = self.train_state.of_workers
        return state

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        saved_shard = tuple(state_dict.get("carried_state_shard", self.shard))
        of_workers = state_dict.get("carried_state_of_workers") or {}
        shard_id, num_shards = self.shard
        if saved_shard == self.shard:
            self.train_state.load_state_dict(state_dict.get("carried_state", {}))
        elif saved_shard[1] == num_shards and shard_id in of_workers:
            self.train_state.load_state_dict(of_workers[shard_id])
        elif state_dict.get("carried_state"):
            logger.warning(f"the checkpoint holds the carried states of worker {saved_shard[0]} of "
                           f"{saved_shard[1]} only; worker {shard_id} of {num_shards} resumes its rows "
                           "from empty states")


@register_task(TASK_NAME, dataclass=CarriedStateLanguageModelingConfig)
class CarriedStateLanguageModelingTask(FairseqTask):
    """Batches are in-order segments of the stream's rows; ``train_step`` and
    ``valid_step`` hand the model the state the previous segment left."""

    def __init__(self, cfg: CarriedStateLanguageModelingConfig, dictionary: Dictionary):
        super().__init__(cfg)
        check_task_sizes(cfg)
        self.dictionary = dictionary
        self.train_state = CarriedState()
        self.valid_state = CarriedState()

    @classmethod
    def setup_task(cls, cfg: CarriedStateLanguageModelingConfig, **kwargs):
        if not cfg.data:
            raise ValueError(f"--task {TASK_NAME} needs a data directory (fairseq-preprocess output)")
        dictionary_path = os.path.join(utils.split_paths(cfg.data)[0], "dict.txt")
        if not os.path.isfile(dictionary_path):
            raise FileNotFoundError(
                f"{dictionary_path} not found: --task {TASK_NAME} reads a directory written by "
                "fairseq-preprocess --only-source (dict.txt, train.bin, train.idx, ...)"
            )
        dictionary = Dictionary.load(dictionary_path)
        logger.info(f"dictionary: {len(dictionary)} types")
        return cls(cfg, dictionary)

    def build_model(self, cfg, from_checkpoint=False):
        """The model, if it can carry its fast weights across segments."""
        model = super().build_model(cfg, from_checkpoint)
        if not isinstance(model, FastWeightLanguageModel):
            raise ValueError(
                f"--task {TASK_NAME} needs a model that carries fast-weight states "
                f"(--arch fwp_lm or an fwp_* architecture), got {type(model).__name__}"
            )
        if model.decoder.embed_positions is not None:
            raise ValueError(
                f"--task {TASK_NAME} carries the fast weights from one segment to the next, which "
                "needs --no-token-positional-embeddings (positions would restart at every segment)"
            )
        return model

    def load_dataset(self, split: str, epoch: int = 1, combine: bool = False, **kwargs):
        """The split as one token stream ``[N]``: its lines, each ending in
        ``</s>``, concatenated."""
        paths = utils.split_paths(self.cfg.data)
        prefix = os.path.join(paths[(epoch - 1) % len(paths)], split)
        lines = data_utils.load_indexed_dataset(prefix, self.dictionary, combine=combine)
        if lines is None:
            raise FileNotFoundError(
                f"split {split!r} not found: expected {prefix}.bin and {prefix}.idx "
                f"(fairseq-preprocess --only-source --{split}pref ...)"
            )
        self.datasets[split] = torch.cat([lines[i] for i in range(len(lines))])
        logger.info(f"{split}: {len(self.datasets[split]):,} tokens in {len(lines):,} lines")

    def dataset(self, split: str) -> torch.Tensor:
        """The loaded token stream of ``split``."""
        if split not in self.datasets:
            raise KeyError(f"split {split!r} is not loaded; call load_dataset({split!r}) first")
        return self.datasets[split]

    def get_batch_iterator(
        self,
        dataset: torch.Tensor,
        max_sentences: Optional[int] = None,
        num_shards: int = 1,
        shard_id: int = 0,
        num_workers: int = 0,
        epoch: int = 1,
        data_buffer_size: int = 0,
        skip_remainder_batch: bool = False,
        **unused,
    ) -> iterators.EpochBatchIterator:
        """The segments of ``dataset`` in order, never shuffled. ``max_sentences``
        (``--batch-size``) is the number of rows per worker; fairseq's
        data-parallel ``num_shards``/``shard_id`` give each worker its own rows
        (not every other batch, as for the other tasks)."""
        if max_sentences is None:
            raise ValueError(
                f"--task {TASK_NAME} needs --batch-size: the number of rows the stream is cut "
                "into (per worker); --max-tokens alone does not set it"
            )
        segments = StreamSegments(dataset, max_sentences, self.cfg.tokens_per_sample, num_shards, shard_id)
        logger.info(
            f"{len(segments)} segments of {self.cfg.tokens_per_sample} tokens x "
            f"{max_sentences} rows per worker, {num_shards} worker(s)"
        )
        return CarriedStateEpochIterator(
            self.train_state,
            (shard_id, num_shards),
            dataset=segments,
            collate_fn=segments.collater,
            batch_sampler=[[i] for i in range(len(segments))],
            num_workers=num_workers,
            epoch=epoch,
            buffer_size=data_buffer_size,
            disable_shuffling=True,
            skip_remainder_batch=skip_remainder_batch,
        )

    def train_step(self, sample, model, criterion, optimizer, update_num, ignore_grad=False):
        """Forward and backward from the states the previous segment left;
        the new states are then detached (gradients stop at the boundary)."""
        result = super().train_step(
            self.train_state.attach(sample), model, criterion, optimizer, update_num, ignore_grad
        )
        self.train_state.detach()
        if distributed_utils.get_data_parallel_world_size() > 1 and self.saves_after(update_num + 1):
            self.train_state.gather_workers(distributed_utils.get_data_parallel_group())
        return result

    def saves_after(self, num_updates: int) -> bool:
        """Whether fairseq-train saves a checkpoint once ``num_updates`` updates are done
        (mid-epoch; at the end of an epoch the states restart anyway)."""
        if self.cfg.no_save:
            return False
        interval = self.cfg.save_interval_updates
        return (interval > 0 and num_updates % interval == 0) or num_updates == self.cfg.max_update

    def valid_step(self, sample, model, criterion):
        return super().valid_step(self.valid_state.attach(sample), model, criterion)

    def eval_lm_dataloader(
        self,
        dataset: torch.Tensor,
        batch_size: Optional[int] = None,
        num_shards: int = 1,
        num_workers: int = 1,
        data_buffer_size: int = 10,
        context_window: int = 0,
        **unused,
    ) -> iterators.CountingIterator:
        """fairseq-eval-lm's batches: the split cut into ``--batch-size`` rows (default 1:
        one stream), walked in order, one ``CarriedState`` carried along every row for
        the whole pass. Rows no longer than the training rows keep the carried state
        within the lengths seen in training; one row carries it through the whole split.

        fairseq-eval-lm scores every batch with a ``SequenceScorer`` that calls
        ``model(**net_input)`` and nothing of the task in between, so the state
        travels inside the batches: ``net_input["carried_state"]`` is the same
        object in every batch, and the model reads and updates it in place. It
        is attached here, in the main process, after the DataLoader (whose
        worker processes would each hold a copy); the model needs no stream mode.
        """
        if context_window > 0:
            raise ValueError(
                f"--context-window is the sliding-window evaluation of --task language_modeling; "
                f"--task {TASK_NAME} carries the state through the whole split instead: drop one of the two"
            )
        if num_shards != 1:
            raise ValueError(
                f"--task {TASK_NAME} evaluates in one process (got {num_shards} shards): "
                "its rows are walked in step; run fairseq-eval-lm without --distributed-world-size"
            )
        segments = self.get_batch_iterator(
            dataset, max_sentences=batch_size or 1, num_workers=num_workers, data_buffer_size=data_buffer_size
        ).next_epoch_itr(shuffle=False)
        state = CarriedState()
        return iterators.CountingIterator(
            (state.attach(sample) for sample in segments), total=len(segments)
        )

    @property
    def source_dictionary(self) -> Dictionary:
        return self.dictionary

    @property
    def target_dictionary(self) -> Dictionary:
        return self.dictionary
