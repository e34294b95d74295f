# The plugin's model and architecture names (fwp_plugin/model_names.py), for the recipes:
#   model_names models --family language_model|algorithmic|rl   every model of a family
#   model_names name MODEL --family FAMILY                       MODEL's name (old spellings resolved), or an error
#   model_names arch MODEL SETTING                               the architecture of MODEL in SETTING
FWP_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
model_names() { PYTHONPATH="$FWP_REPO${PYTHONPATH:+:$PYTHONPATH}" "${PYTHON:-python}" -m fwp_plugin.model_names "$@"; }
