"""How long work tells its progress: a run in named stages, and one stage alone.

A run (a training, a rescoring, an export) calls ``progress(stage, done,
total)``; a step that knows only its own count is given ``progress`` bound
to its stage. Stages are named ``KIND`` or ``KIND:WHAT`` ("train:digits");
the words people read for each kind are the jobs' business.
"""

from collections.abc import Callable

Progress = Callable[[str, int, int], None]  # progress(stage, done, total)
StageProgress = Callable[[int, int], None]  # progress(done, total) within one stage


def stage_progress(progress: Progress | None, stage: str) -> StageProgress | None:
    """Return ``progress`` bound to one stage (None without progress)."""
    if progress is None:
        return None
    return lambda done, total: progress(stage, done, total)
