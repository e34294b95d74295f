"""The environment the tests run command lines in: this interpreter's environment first on the PATH
(its fairseq-train, its python), one torch thread per process. Importable from every test folder:
pytest puts tests/ (the folder of the suite's conftest.py) on sys.path."""

import os
import sys

COMMAND_ENV = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
                   OMP_NUM_THREADS="1")
