"""datatrove's local executor as lerec's jobs use it (imported only when a job runs on local processes)."""

from __future__ import annotations

import contextlib
import io

from datatrove.executor.local import LocalPipelineExecutor


class LerecLocalExecutor(LocalPipelineExecutor):
    """Ranks in local processes. Unless ``console_logs``, a rank's datatrove messages (a banner, the pipeline,
    emoji statistics) go to its log file only: lerec shows its own progress, and its errors name that file."""

    def __init__(self, *args, console_logs: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.console_logs = console_logs

    def _run_for_rank(self, rank: int, local_rank: int = 0, node_rank: int = -1):
        if self.console_logs:
            return super()._run_for_rank(rank, local_rank, node_rank)
        # datatrove adds its console sink on sys.stderr as it is when the rank starts: give it a discard.
        with contextlib.redirect_stderr(io.StringIO()):
            return super()._run_for_rank(rank, local_rank, node_rank)
