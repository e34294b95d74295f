# Registers the language_modeling_carried_state task (truncated BPTT with carried fast weights).
from . import language_modeling_carried_state  # noqa: F401
