"""The agent's memory ("core"): feed-forward, LSTM, or a stack of fast-weight blocks.

Every core maps a whole unroll at once::

    core(x: [B, T, input_dim], state: [B, state_size], episode_start: [B, T] bool)
        -> (y: [B, T, output_dim], final state: [B, state_size])

``episode_start[b, t]`` zeroes row b's state just before step t (a new episode
starts there), so an unroll with episode ends in the middle runs in one call.
The state is one flat tensor per environment (what a TorchRL collector stores
at every step); each core packs its own parts into it.

Fast-weight cores, as in the authors' IMPALA agent (IDSIA/recurrent-fwp,
``reinforcement_learning/torchbeast/layer.py``)::

    h = W_in x + b_in                                   # 257 -> 128 in the paper
    repeat L times:  h = h + FW(LN(h));  h = h + FF(LN(h))
    y = h                                               # no final LayerNorm

with FW the language models' fast-weight sublayer (the same classes and ops),
H heads, no 1/sqrt(d) output scaling, no dropout; the fast weights of every
layer are the recurrent state. Keys/queries: elu+1 with sum normalisation for
``linear`` and ``delta`` (no normaliser for ``linear``), softmax for
``delta_rnn``, ``delta_lstm`` and ``rdn`` (sigmoid betas throughout).
"""

import math
from argparse import Namespace
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

from fwp_kernels.resets import zero_rows

from ..model_names import ALIASES, RL_CORES
from ..modules import FastWeightDecoderLayer
from ..modules.fast_weight_layer import sublayer_config

StateParts = Tuple[torch.Tensor, ...]

# The cores are named by their model (fwp_plugin.model_names).
CORES = RL_CORES
FAST_WEIGHT_CORES = tuple(name for name in CORES if name not in ("feedforward", "lstm"))
# Keys and queries as published: elu+1 then sum normalisation, or softmax over a head.
CORE_FEATURE_MAPS: Dict[str, str] = {
    "linear_transformer": "elu1_sumnorm",
    "delta_net": "elu1_sumnorm",
    "delta_rnn": "softmax",
    "delta_lstm": "softmax",
    "rdn": "softmax",
}


def core_name(name: str) -> str:
    """The core ``name`` means (old spellings such as ``delta`` resolved); a ValueError naming the choices."""
    if ALIASES.get(name, name) not in CORES:
        raise ValueError(f"unknown core {name!r}; choose one of {', '.join(CORES)}")
    return ALIASES.get(name, name)


class FlatState:
    """Packs a tuple of per-environment tensors [B, *shape_i] into one [B, S] tensor and back."""

    def __init__(self, shapes: Sequence[Tuple[int, ...]]):
        self.shapes = [tuple(shape) for shape in shapes]
        self.sizes = [math.prod(shape) for shape in self.shapes]
        self.size = sum(self.sizes)

    def pack(self, parts: StateParts) -> torch.Tensor:
        return torch.cat([part.reshape(part.shape[0], -1) for part in parts], dim=-1)

    def unpack(self, flat: torch.Tensor) -> StateParts:
        pieces = flat.split(self.sizes, dim=-1)
        return tuple(piece.reshape(flat.shape[0], *shape) for piece, shape in zip(pieces, self.shapes))


class FeedForwardCore(nn.Module):
    """No memory: y_t = x_t (the policy sees only the current observation)."""

    def __init__(self, input_dim: int):
        super().__init__()
        self.output_dim = input_dim
        self.state_size = 0

    def forward(self, x, state, episode_start):
        return x, state


class LSTMCore(nn.Module):
    """One LSTM layer (the IMPALA baseline); state [h; c], zeroed where an episode starts.

    No parallel form exists, so the unroll is a loop over its T steps.
    """

    def __init__(self, input_dim: int, hidden_dim: int):
        super().__init__()
        self.cell = nn.LSTMCell(input_dim, hidden_dim)
        self.output_dim = hidden_dim
        self.state_size = 2 * hidden_dim

    def forward(self, x, state, episode_start):
        h, c = state.chunk(2, dim=-1)
        outputs = []
        for t in range(x.shape[1]):
            start = episode_start[:, t]
            h, c = self.cell(x[:, t], (zero_rows(h, start), zero_rows(c, start)))
            outputs.append(h)
        return torch.stack(outputs, dim=1), torch.cat([h, c], dim=-1)


def fast_weight_blocks_config(core: str, dim: int, heads: int, ffn_dim: int, layers: int) -> Namespace:
    """The block options (those of ``FastWeightBlocksConfig``) for an RL core as published."""
    sublayer = sublayer_config(core, dim, heads, feature_map=CORE_FEATURE_MAPS[core], output_scaling=False)
    return Namespace(**vars(sublayer), decoder_ffn_embed_dim=ffn_dim, decoder_layers=layers,
                     residual_from_normalized=False, decoder_post_norm=False)


class FastWeightCore(nn.Module):
    """Input projection, then ``layers`` pre-norm blocks of the language models (see the module docstring)."""

    def __init__(self, core: str, input_dim: int, dim: int, heads: int, ffn_dim: int, layers: int):
        super().__init__()
        if dim % heads != 0:
            raise ValueError(f"--core-dim {dim} is not divisible by --core-heads {heads}; pick a head count that divides it")
        cfg = fast_weight_blocks_config(core, dim, heads, ffn_dim, layers)
        self.input_proj = nn.Linear(input_dim, dim)
        self.blocks = nn.ModuleList(FastWeightDecoderLayer(cfg) for _ in range(layers))
        self.output_dim = dim
        self.layer_states = [self._state_shapes(block, dim) for block in self.blocks]
        self.state_size = sum(layer.size for layer in self.layer_states)

    @staticmethod
    def _state_shapes(block: FastWeightDecoderLayer, dim: int) -> FlatState:
        """The shapes of one block's fast-weight state, read off a one-step forward of one row."""
        store = block.fast_weight.state_store(None)
        with torch.no_grad():
            block(torch.zeros(1, 1, dim), store)
        parts = flatten_state(block.fast_weight.stored_state(store))
        return FlatState([part.shape[1:] for part in parts])

    def forward(self, x, state, episode_start):
        h = self.input_proj(x)
        pieces = state.split([layer.size for layer in self.layer_states], dim=-1)
        final_states: List[torch.Tensor] = []
        for block, layer_state, piece in zip(self.blocks, self.layer_states, pieces):
            store = block.fast_weight.state_store(unflatten_state(layer_state.unpack(piece)))
            h = block(h, store, reset=episode_start)
            final_states.append(layer_state.pack(flatten_state(block.fast_weight.stored_state(store))))
        return h, torch.cat(final_states, dim=-1)


def flatten_state(state) -> StateParts:
    """A sublayer's state (a tensor or a tuple of tensors) as a tuple of tensors."""
    return tuple(state) if isinstance(state, tuple) else (state,)


def unflatten_state(parts: StateParts):
    """The inverse of ``flatten_state``: a lone tensor stands for itself."""
    return parts[0] if len(parts) == 1 else tuple(parts)


def build_core(
    name: str, input_dim: int, dim: int = 128, heads: int = 4, ffn_dim: int = 512, layers: int = 2,
    lstm_dim: Optional[int] = None,
) -> nn.Module:
    """The core named ``name`` (one of CORES) for inputs of ``input_dim`` features.

    Paper sizes: fast-weight cores dim 128, 4 heads of 32, FF 512, 2 layers; LSTM 256 units.
    """
    name = core_name(name)
    if name == "feedforward":
        return FeedForwardCore(input_dim)
    if name == "lstm":
        return LSTMCore(input_dim, lstm_dim or 2 * dim)
    return FastWeightCore(name, input_dim, dim, heads, ffn_dim, layers)
