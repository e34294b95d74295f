"""benchmarks/ is not installed: its tests import it from the repository root, as `python -m benchmarks.X` does."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
