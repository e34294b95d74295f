"""The fast-weight states carried along one token stream, from segment to segment."""

from collections.abc import MutableMapping
from typing import Dict, Iterator, Optional

import torch.distributed
from fairseq.utils import apply_to_sample

from ..modules import detach_states


class CarriedState(MutableMapping):
    """The model's ``carried_state`` for one stream (a training epoch, a validation
    pass, an evaluation): the layers read their initial fast-weight states from
    it and leave their final states in it. Keys and values are those of
    fairseq's incremental state; every state tensor has the rows (batch) as
    first axis.

    It is a mapping but deliberately not a ``dict``: fairseq copies every dict
    of a sample when it moves the sample to the device
    (``fairseq.utils.apply_to_sample``, used by fairseq-eval-lm and the
    trainer), and so does torch's DistributedDataParallel with its inputs. A
    plain dict in ``net_input`` would have the model write its final states
    into a throw-away copy; any other object is passed on by reference.
    """

    def __init__(self):
        self._states: Dict[str, Dict] = {}
        # Every data-parallel worker's state_dict, by rank, gathered for a checkpoint (gather_workers);
        # None from the next segment on.
        self.of_workers: Optional[Dict[int, Dict]] = None

    def __getitem__(self, key: str) -> Dict:
        return self._states[key]

    def __setitem__(self, key: str, value: Dict) -> None:
        self._states[key] = value

    def __delitem__(self, key: str) -> None:
        del self._states[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._states)

    def __len__(self) -> int:
        return len(self._states)

    def attach(self, sample: Dict) -> Dict:
        """The sample with this object as ``net_input["carried_state"]`` (the
        sample itself is left as it is). The first segment of a stream
        (``sample["segment"] == 0``) starts from empty states, so states reset
        at every epoch and every validation pass."""
        if sample["segment"] == 0:
            self._states.clear()
        self.of_workers = None
        device = sample["net_input"]["src_tokens"].device
        self._states = apply_to_sample(lambda state: state.to(device), self._states)  # a no-op once there
        return {**sample, "net_input": {**sample["net_input"], "carried_state": self}}

    def detach(self) -> None:
        """Cut the gradient path into the kept states (truncated BPTT)."""
        detach_states(self)

    def state_dict(self) -> Dict:
        """The states, detached and on the CPU (what a checkpoint keeps)."""
        return apply_to_sample(lambda state: state.detach().cpu(), self._states)

    def gather_workers(self, group) -> None:
        """Collect every worker's ``state_dict`` into ``of_workers`` (by rank in ``group``). A
        collective: every worker of the group calls it after the same training step."""
        gathered = [None] * torch.distributed.get_world_size(group)
        torch.distributed.all_gather_object(gathered, self.state_dict(), group=group)
        self.of_workers = dict(enumerate(gathered))

    def load_state_dict(self, states: Dict) -> None:
        """Continue from ``states`` (of ``state_dict``); they move to the device of the next sample."""
        self._states = dict(states)
