"""Reinforcement learning: an IMPALA agent whose memory is an LSTM or a fast weight programmer.

The paper's Atari experiment (Irie et al. 2021, Sec. 5): the fast-weight cores
replace the LSTM of an IMPALA agent. Built on TorchRL (environments as
``EnvBase``, collectors for the actors, V-trace) and ale-py; needs the ``rl``
extra (``pip install -e .[rl]``). fairseq's entry points never import this package.

    python -m fwp_plugin.rl.train --env cue_recall --core delta_net --save-dir runs/rl/delta_net
    python -m fwp_plugin.rl.evaluate runs/rl/delta/checkpoint_last.pt --episodes 30

Modules: ``envs`` (Atari and the cue-recall memory task), ``cores`` (the
memories), ``agent`` (the network and the acting policy), ``learner`` (the loss),
``run`` (building a run from its options), ``options``, ``train``, ``evaluate``,
``checkpoints``, ``plots``, ``atari_scores`` (human-normalised scores).
"""
