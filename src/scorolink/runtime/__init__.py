"""Jobs, schedules and runs: one runtime for every operation.

`api.dispatch_due` creates the runs of due jobs and `api.execute_run` does one slice of a run; both
run unchanged under `scorolink serve` (`local.LocalRunner`: APScheduler plus a thread pool over
SQLite) and under Celery (`celery_app`: Redis broker, PostgreSQL state). Operations are registered
in `operations.OPERATIONS`.
"""
