"""The authors' initialisation (``--weight-init published``).

Their ``train.py`` (IDSIA/recurrent-fwp, ``language_modeling/src/train.py``,
``weights_init`` with the README commands' defaults ``--init normal
--init_std 0.02``) draws every Linear weight and every embedding from
N(0, 0.02), sets biases to 0 and LayerNorm gains to N(1, 0.02); the RDN's
recurrent matrices are not touched (they keep N(0, 1/d_head)). Their output
layer has no band projections (``div_val=1``); fairseq's adaptive input has
one per band, which starts here as the identity so the model starts as theirs.
"""

import torch
from fairseq.modules import AdaptiveInput
from torch import nn

STD = 0.02


@torch.no_grad()
def apply_published_init(model: nn.Module) -> None:
    """Re-initialise ``model`` in place as the published language models were."""
    for module in model.modules():
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=STD)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=STD)
        elif isinstance(module, nn.LayerNorm) and module.elementwise_affine:
            nn.init.normal_(module.weight, mean=1.0, std=STD)
            nn.init.zeros_(module.bias)
    for module in model.modules():
        if isinstance(module, AdaptiveInput):
            for band in module.embeddings:
                projection = band[-1]
                if projection.weight.shape[0] == projection.weight.shape[1]:
                    nn.init.eye_(projection.weight)
