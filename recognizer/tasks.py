"""Where the workers' tasks lived until December 2026: tasks queued by an earlier release
name them here. Kept for one release (docs/deploy.md); `recognizer.jobs.runner` has them."""

from recognizer.jobs.runner import drift_watch, job_run, leases_watch

__all__ = ["drift_watch", "job_run", "leases_watch"]
