# Registers the fwp_lm model, the fwp_tagger and lstm_tagger sequence taggers, then the
# architectures (paper settings, Transformer and LSTM baselines).
from . import fwp_language_model  # noqa: F401  (isort: skip)
from . import fwp_tagger  # noqa: F401  (isort: skip)
from . import lstm_tagger  # noqa: F401  (isort: skip)
from . import architectures  # noqa: F401
