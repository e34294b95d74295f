# Registers the fwp_lm model, then its architectures and the Transformer baselines.
from . import fwp_language_model  # noqa: F401  (isort: skip)
from . import architectures  # noqa: F401
