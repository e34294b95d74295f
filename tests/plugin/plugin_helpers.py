"""Helpers shared by the plugin tests: build registered models the way fairseq-train does, and run
fairseq's command lines as data-parallel CPU workers."""

import os
import socket
import subprocess
import sys
from typing import List, Sequence

from fairseq.data import Dictionary

from command_env import COMMAND_ENV
from fwp_plugin.models.from_flags import PLUGIN_DIR, build_model_from_flags, model_config_from_flags

REPO_ROOT = os.path.dirname(PLUGIN_DIR)
SHARED_DATA = os.path.join(os.path.dirname(REPO_ROOT), "shared", "data", "wikitext-2")

parse_model_cfg = model_config_from_flags
build_model = build_model_from_flags


def make_dictionary(num_words: int) -> Dictionary:
    dictionary = Dictionary()
    for i in range(num_words):
        dictionary.add_symbol(f"w{i}")
    return dictionary


# A fairseq command line (fairseq_cli.MODULE, imported first: it sets fairseq's log format) as one CPU worker.
# fairseq-validate gathers its workers' results through a CUDA buffer (all_gather_list), allocated here on the
# CPU first. A worker whose command returned leaves at once (os._exit, after flushing its output): at the
# interpreter's normal exit gloo's threads sometimes abort the process ("terminate called without an active
# exception") after the work is done. A command that fails still exits with its error.
CPU_WORKER = (
    "from fairseq_cli import {module} as command; import os, sys, torch; from fairseq.distributed import utils; "
    "utils.all_gather_list._buffer = torch.zeros(2 * 16384, dtype=torch.uint8); "
    "utils.all_gather_list._cpu_buffer = torch.zeros(16384, dtype=torch.uint8); "
    "sys.argv[0] = 'fairseq-{module}'; command.cli_main(); sys.stdout.flush(); sys.stderr.flush(); os._exit(0)"
)


def run_workers(module: str, args: Sequence[str], world_size: int = 2, timeout: int = 300) -> List[str]:
    """``fairseq-MODULE ARGS`` (MODULE: train, validate) as ``world_size`` data-parallel workers, one CPU
    process each over gloo, as fairseq runs one process per GPU; every worker must succeed. Each worker's log."""
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", CPU_WORKER.format(module=module), *args, "--cpu", "--distributed-backend", "gloo",
             "--distributed-world-size", str(world_size), "--distributed-rank", str(rank), "--distributed-no-spawn",
             "--distributed-init-method", f"tcp://127.0.0.1:{port}"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=COMMAND_ENV,
        )
        for rank in range(world_size)
    ]
    logs = [worker.communicate(timeout=timeout)[0] for worker in workers]
    failed = [rank for rank, worker in enumerate(workers) if worker.returncode != 0]
    assert not failed, "".join(f"--- worker {rank}\n{logs[rank][-3000:]}" for rank in failed)
    return logs
