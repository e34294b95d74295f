"""The fwp_lm model: registration, shapes, gradients, incremental decoding, generation."""

import pytest
import torch
from fairseq.models import ARCH_MODEL_REGISTRY
from fairseq import search
from fairseq.sequence_generator import SequenceGenerator

from fwp_plugin.models.architectures import ARCHITECTURES

from plugin_helpers import build_model

TINY_ARCHITECTURES = [name for name, arch in ARCHITECTURES.items()
                      if name.endswith("_tiny") and arch.model == "fwp_lm"]
VARIANT_FLAGS = {
    **{name: (name,) for name in TINY_ARCHITECTURES},
    "linear_normalized_dpfp": ("fwp_linear_transformer_tiny", "--attn-normalize",
                               "--feature-map", "dpfp", "--dpfp-nu", "2"),
    "delta_silu_l2_beta2_postnorm": ("fwp_delta_net_tiny", "--feature-map", "silu_l2",
                                     "--beta-max", "2", "--decoder-post-norm"),
    "delta_standard_residual_no_positions": ("fwp_delta_net_tiny",
                                             "--no-token-positional-embeddings",
                                             "--fw-no-output-scaling"),
    "delta_mlp_depth2_dpfp": ("fwp_delta_mlp_tiny", "--delta-mlp-depth", "2",
                              "--feature-map", "dpfp_sumnorm", "--delta-mlp-hidden-factor", "2"),
}


def test_every_architecture_is_registered():
    for name in ARCHITECTURES:
        assert name in ARCH_MODEL_REGISTRY, name


@pytest.mark.parametrize("variant", VARIANT_FLAGS)
def test_forward_shapes_and_gradients(variant, small_dictionary):
    model = build_model(*VARIANT_FLAGS[variant][:1], small_dictionary, *VARIANT_FLAGS[variant][1:])
    tokens = torch.randint(4, len(small_dictionary), (3, 11))
    logits, _ = model(tokens)
    assert logits.shape == (3, 11, len(small_dictionary))
    logits.logsumexp(-1).mean().backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


@pytest.mark.parametrize("variant", VARIANT_FLAGS)
def test_token_by_token_decoding_matches_full_forward(variant, small_dictionary):
    model = build_model(*VARIANT_FLAGS[variant][:1], small_dictionary, *VARIANT_FLAGS[variant][1:])
    model.eval()
    tokens = torch.randint(4, len(small_dictionary), (2, 9))
    with torch.no_grad():
        full, _ = model(tokens)
        incremental_state = {}
        steps = [model(tokens[:, : t + 1], incremental_state=incremental_state)[0]
                 for t in range(tokens.shape[1])]
    torch.testing.assert_close(torch.cat(steps, dim=1), full, rtol=1e-4, atol=1e-5)


def test_reordering_the_state_follows_the_beam(small_dictionary):
    model = build_model("fwp_delta_net_tiny", small_dictionary)
    model.eval()
    tokens = torch.randint(4, len(small_dictionary), (2, 6))
    swapped = tokens.flip(0)
    with torch.no_grad():
        expected, _ = model(swapped)
        incremental_state = {}
        for t in range(3):
            model(tokens[:, : t + 1], incremental_state=incremental_state)
        model.decoder.reorder_incremental_state_scripting(incremental_state, torch.tensor([1, 0]))
        for t in range(3, 6):
            last, _ = model(swapped[:, : t + 1], incremental_state=incremental_state)
    torch.testing.assert_close(last[:, -1], expected[:, -1], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("sampling", [False, True])
def test_sequence_generator_runs(sampling, small_dictionary):
    model = build_model("fwp_delta_net_tiny", small_dictionary)
    model.eval()
    strategy = search.Sampling(small_dictionary, sampling_topk=5) if sampling else None
    generator = SequenceGenerator(
        [model], small_dictionary, beam_size=2, max_len_b=8, min_len=8, search_strategy=strategy
    )
    prefix = torch.randint(4, len(small_dictionary), (2, 3))
    sample = {"net_input": {"src_tokens": prefix, "src_lengths": torch.tensor([3, 3])}}
    hypotheses = generator.generate([model], sample, prefix_tokens=prefix)
    for prefix_row, beams in zip(prefix, hypotheses):
        assert len(beams) == 2
        for hypothesis in beams:
            assert torch.equal(hypothesis["tokens"][:3], prefix_row)
            assert len(hypothesis["tokens"]) >= 8


@pytest.mark.parametrize("arch", TINY_ARCHITECTURES)
def test_carried_state_over_segments_matches_one_long_forward(arch, small_dictionary):
    model = build_model(arch, small_dictionary, "--no-token-positional-embeddings")
    model.eval()
    tokens = torch.randint(4, len(small_dictionary), (2, 20))
    with torch.no_grad():
        full, _ = model(tokens)
        carried_state = {}
        segments = [model(segment, carried_state=carried_state)[0] for segment in tokens.split(7, dim=1)]
    torch.testing.assert_close(torch.cat(segments, dim=1), full, rtol=1e-4, atol=1e-5)


# The leading parts of each model's state that are fast weights (MODELS.md: Delta RNN (W, R, y), Delta LSTM
# (W, R, h, c), RDN (W, y)); every other model's state is fast weights only.
FAST_WEIGHT_PARTS = {"fwp_delta_rnn_tiny": 2, "fwp_delta_lstm_tiny": 2, "fwp_rdn_tiny": 1}


def decay_by_hand(state, factor, fast_weight_parts):
    if fast_weight_parts is None:
        return tuple(decay_by_hand(part, factor, None) for part in state) if isinstance(state, tuple) else factor * state
    return tuple(factor * part if index < fast_weight_parts else part for index, part in enumerate(state))


@pytest.mark.parametrize("arch", TINY_ARCHITECTURES)
def test_carried_state_decay_multiplies_the_fast_weights_between_segments(arch, small_dictionary):
    """--carried-state-decay g: the next segment starts from the fast weights times g, the recurrent outputs
    as they were: the model without decay given that state by hand computes the same."""
    decayed = build_model(arch, small_dictionary, "--no-token-positional-embeddings", "--carried-state-decay", "0.5")
    plain = build_model(arch, small_dictionary, "--no-token-positional-embeddings")
    plain.load_state_dict(decayed.state_dict())
    decayed.eval(), plain.eval()
    first, second = torch.randint(4, len(small_dictionary), (2, 14)).split(7, dim=1)
    with torch.no_grad():
        decayed_state, plain_state = {}, {}
        torch.testing.assert_close(decayed(first, carried_state=decayed_state)[0],
                                   plain(first, carried_state=plain_state)[0])  # nothing to decay yet
        undecayed_next = plain(second, carried_state=dict(plain_state))[0]
        by_hand = {key: {"state": decay_by_hand(saved["state"], 0.5, FAST_WEIGHT_PARTS.get(arch))}
                   for key, saved in plain_state.items()}
        expected = plain(second, carried_state=by_hand)[0]
        got = decayed(second, carried_state=decayed_state)[0]
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
    assert not torch.allclose(got, undecayed_next, atol=1e-4)


@pytest.mark.parametrize("flags, message", [
    (("--carried-state-decay", "0"), r"--carried-state-decay must lie in \(0, 1\]"),
    (("--carried-state-decay", "1.5"), r"--carried-state-decay must lie in \(0, 1\]"),
    (("--carried-state-decay", "0.9", "--fast-weight-type", "transformer"),
     "the softmax Transformer keeps past keys and values"),
])
def test_carried_state_decay_refuses_what_it_cannot_decay(flags, message, small_dictionary):
    with pytest.raises(ValueError, match=message):
        build_model("fwp_delta_net_tiny", small_dictionary, "--no-token-positional-embeddings", *flags)


def test_carried_state_refuses_positional_embeddings(small_dictionary):
    model = build_model("fwp_delta_net_tiny", small_dictionary)
    with pytest.raises(ValueError, match="needs --no-token-positional-embeddings"):
        model(torch.randint(4, len(small_dictionary), (2, 5)), carried_state={})


def test_detached_carried_state_stops_gradients(small_dictionary):
    from fwp_plugin.modules import detach_states

    model = build_model("fwp_delta_net_tiny", small_dictionary, "--no-token-positional-embeddings")
    carried_state = {}
    model(torch.randint(4, len(small_dictionary), (2, 5)), carried_state=carried_state)
    detach_states(carried_state)
    states = [saved["state"] for saved in carried_state.values()]
    assert len(states) == 2 and all(not s.requires_grad for s in states)
