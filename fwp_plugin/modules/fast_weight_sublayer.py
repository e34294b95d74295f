"""The multi-head frame shared by every fast-weight sublayer.

A fast-weight sublayer maps ``x: [B, T, D]`` to ``y: [B, T, D]``:

    slow = W_slow x_t                      # one bias-free projection, H * n outputs
    y^h  = fast net of head h on slow^h    # defined by the subclass
    y    = dropout(W_o concat_h(y^h / sqrt(d)))   # 1/sqrt(d) unless fw_no_output_scaling

The fast net's state (its fast weights) is kept in fairseq's
``incremental_state`` between calls, so token-by-token decoding continues the
same recurrence as a full-sequence forward.
"""

from abc import ABC, abstractmethod
from typing import Dict, Optional, Tuple, Union

import torch
from fairseq.incremental_decoding_utils import with_incremental_state
from fairseq.modules import FairseqDropout
from torch import nn

from .feature_maps import FeatureMap

FastState = Union[torch.Tensor, Tuple["FastState", ...]]


def map_state(fn, state: FastState) -> FastState:
    """Apply ``fn`` to every tensor of a (possibly nested tuple) state."""
    if isinstance(state, tuple):
        return tuple(map_state(fn, s) for s in state)
    return fn(state)


def head_dim_of(cfg) -> int:
    """d = D / H, or a ValueError naming the fix when H does not divide D."""
    embed_dim, num_heads = cfg.decoder_embed_dim, cfg.decoder_attention_heads
    if embed_dim % num_heads != 0:
        raise ValueError(
            f"decoder_embed_dim={embed_dim} is not divisible by "
            f"decoder_attention_heads={num_heads}; pick a head count that divides it"
        )
    return embed_dim // num_heads


def detach_states(state_store: Dict[str, Dict[str, FastState]]) -> None:
    """Detach, in place, every fast state kept in an incremental/carried state dict
    (truncated backpropagation through time: gradients stop at segment boundaries)."""
    for key, saved in state_store.items():
        state_store[key] = {name: map_state(torch.Tensor.detach, state) for name, state in saved.items()}


@with_incremental_state
class FastWeightSublayer(nn.Module, ABC):
    """Base class: slow projection, heads, output projection and state keeping.

    Subclasses pass ``slow_outputs_per_head`` (n above) and implement
    ``fast_forward(slow, initial_state, output_final_state, reset) -> (y, final_state)``
    with ``slow: [B, T, H, n]`` and ``y: [B, T, H, d]``.

    ``reset: [B, T]`` (bool, optional) zeroes the state of row b just before
    step t where ``reset[b, t]`` (a new episode starts there: reinforcement
    learning); it is handed to the ops (``fwp_kernels``), which run it in their
    chunkwise forms.
    """

    # The leading parts of the state that are fast weights (the rest, the recurrent outputs such as the
    # Delta RNN's y, are kept by ``decay_state``); None: every tensor of the state.
    fast_weight_parts: Optional[int] = None

    def __init__(self, cfg, slow_outputs_per_head: int):
        super().__init__()
        embed_dim, num_heads = cfg.decoder_embed_dim, cfg.decoder_attention_heads
        self.num_heads = num_heads
        self.head_dim = head_dim_of(cfg)
        self.feature_map = FeatureMap(cfg.feature_map, cfg.dpfp_nu, cfg.sumnorm_eps)
        self.scale_output = not cfg.fw_no_output_scaling
        self.beta_max = cfg.beta_max
        self.slow_net = nn.Linear(
            embed_dim, num_heads * slow_outputs_per_head, bias=False
        )
        self.out_proj = nn.Linear(num_heads * self.head_dim, embed_dim, bias=False)
        self.dropout_module = FairseqDropout(cfg.dropout, module_name=type(self).__name__)

    def beta(self, b: torch.Tensor) -> torch.Tensor:
        """Delta-rule learning rate from a slow-net output: ``beta_max * sigmoid(b)``."""
        return self.beta_max * torch.sigmoid(b)

    @abstractmethod
    def fast_forward(
        self,
        slow: torch.Tensor,
        initial_state: Optional[FastState],
        output_final_state: bool,
        reset: Optional[torch.Tensor] = None,
    ) -> Tuple[torch.Tensor, Optional[FastState]]:
        """slow: [B, T, H, n], reset: [B, T] bool or None -> (y: [B, T, H, d], final state or None)."""

    def forward(
        self,
        x: torch.Tensor,
        incremental_state: Optional[Dict[str, Dict[str, Optional[torch.Tensor]]]] = None,
        reset: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """x: [B, T, D] -> [B, T, D]; continues from and updates ``incremental_state``;
        ``reset: [B, T]`` zeroes the state before the marked steps."""
        batch, length, _ = x.shape
        slow = self.slow_net(x).view(batch, length, self.num_heads, -1)
        saved = self.get_incremental_state(incremental_state, "fast_state")
        initial_state = saved["state"] if saved else None
        y, final_state = self.fast_forward(
            slow, initial_state, output_final_state=incremental_state is not None, reset=reset
        )
        if incremental_state is not None:
            self.set_incremental_state(incremental_state, "fast_state", {"state": final_state})
        if self.scale_output:
            y = y * self.head_dim**-0.5
        return self.dropout_module(self.out_proj(y.reshape(batch, length, -1)))

    def state_store(self, state: Optional[FastState]) -> Dict[str, Dict]:
        """A fresh incremental-state dict holding ``state`` (None: start from zeros), for ``forward``."""
        store: Dict[str, Dict] = {}
        if state is not None:
            self.set_incremental_state(store, "fast_state", {"state": state})
        return store

    def stored_state(self, store: Dict[str, Dict]) -> FastState:
        """The state ``forward`` left in ``store`` (batch first)."""
        return self.get_incremental_state(store, "fast_state")["state"]

    def decay_state(self, store: Dict[str, Dict], factor: float) -> None:
        """Multiply the fast weights kept in ``store`` by ``factor`` (no-op without a kept state):
        ``W <- factor * W`` for every fast-weight part, the recurrent outputs kept as they are."""
        saved = self.get_incremental_state(store, "fast_state")
        if not saved:
            return
        state = saved["state"]
        if self.fast_weight_parts is None:
            decayed = map_state(lambda tensor: tensor * factor, state)
        else:
            decayed = tuple(map_state(lambda tensor: tensor * factor, part) if index < self.fast_weight_parts else part
                            for index, part in enumerate(state))
        self.set_incremental_state(store, "fast_state", {"state": decayed})

    def reorder_incremental_state(self, incremental_state, new_order: torch.Tensor):
        """Reorder the batch axis of the kept state (beam search)."""
        saved = self.get_incremental_state(incremental_state, "fast_state")
        if saved:
            reordered = map_state(lambda s: s.index_select(0, new_order), saved["state"])
            self.set_incremental_state(incremental_state, "fast_state", {"state": reordered})
