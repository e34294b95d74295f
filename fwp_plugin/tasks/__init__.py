# Registers the language_modeling_carried_state task (truncated BPTT with carried fast weights)
# and the algorithmic tasks code_execution and listops.
from . import code_execution  # noqa: F401
from . import language_modeling_carried_state  # noqa: F401
from . import listops  # noqa: F401
