"""Progress of a long command, one line per stage."""

from django.core.management.base import OutputWrapper

from recognizer.jobs.progress import LABEL_WIDTH, stage_label


class ProgressBar:
    """One line per stage, redrawn in place on a terminal; elsewhere
    (logs, CI) printed only at each tenth so the output stays short."""

    width = 30

    def __init__(self, stream: OutputWrapper):
        self.stream = stream
        self.interactive = stream.isatty()
        self.stage = ""
        self.shown_tenths = -1

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.stage, self.shown_tenths = stage, -1
        tenths = 10 * done // max(total, 1)
        if not self.interactive and tenths == self.shown_tenths:
            return
        self.shown_tenths = tenths
        filled = self.width * done // max(total, 1)
        bar = "#" * filled + "." * (self.width - filled)
        line = f"  {stage_label(stage):{LABEL_WIDTH}} [{bar}] {done}/{total}"
        if self.interactive:
            self.stream.write("\r" + line, ending="\n" if done >= total else "")
        else:
            self.stream.write(line)
        self.stream.flush()
