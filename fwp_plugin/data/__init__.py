"""Data generators for the paper's two algorithmic benchmarks.

``code_execution`` writes the code execution task (programs of simple
statements over 3 or 5 variables, with the printed values as targets aligned
token for token with the source) and ``listops`` writes sequential ListOps
(nested list operations to be evaluated to a single digit). Both are
libraries and command-line tools (``python -m fwp_plugin.data.code_execution``,
``python -m fwp_plugin.data.listops``); ``published_datasets`` converts the
data sets the authors published into the same task directories; ``dataset_files``
holds what they share: drawing unique samples into disjoint train/valid/test splits, refusing
to overwrite files, writing the split and fairseq dictionary files (whole or
not at all: an interrupted run leaves no ``--out``), and formatting
statistics.
"""
