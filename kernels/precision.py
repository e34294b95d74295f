"""The dtype the ops accumulate in.

Half-precision inputs (bfloat16, float16) and float32 inputs are computed in
float32; float64 inputs stay float64. Outputs are cast back to the input dtype,
final states are returned in the accumulation dtype.
"""

import torch


def accumulation_dtype(input_dtype: torch.dtype) -> torch.dtype:
    """float64 for float64 inputs, float32 for every other floating dtype."""
    return torch.float64 if input_dtype == torch.float64 else torch.float32
