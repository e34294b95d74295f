# Registers the criterions of the algorithmic tasks.
from . import code_execution_accuracy  # noqa: F401
from . import listops_accuracy  # noqa: F401
