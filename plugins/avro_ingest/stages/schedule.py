"""When a scheduled run is too late to run: its tick passed while the DAG was paused (Airflow
then starts the tick it missed as soon as the DAG is unpaused, as "Unpause on trigger" in the
trigger form does) or while the scheduler was down. Such a run would go ahead of the run the
user just triggered, with the default settings; it is skipped, and the next tick takes the
files. A run a user cleared to run again is never late."""

from __future__ import annotations

import datetime as dt

__all__ = ["late_scheduled_run"]


def late_scheduled_run(
    *,
    run_type: str,
    tick: dt.datetime,
    started: dt.datetime | None,
    clear_number: int | None,
    grace_seconds: int,
) -> str | None:
    """Why this run should be skipped, or None when it runs."""
    if run_type != "scheduled" or started is None or (clear_number or 0) > 0:
        return None
    late = (started - tick).total_seconds()
    if late <= grace_seconds:
        return None
    # Seconds when short: a run 26 s late under a 20 s grace would otherwise read "0 min".
    how_late = f"{late:.0f} s" if late < 120 else f"{late / 60:.0f} min"
    return (
        f"this scheduled run is for the tick at {tick:%Y-%m-%d %H:%M} UTC and started "
        f"{how_late} after it (the DAG was paused, or the scheduler was down): "
        "skipped, so that it does not run ahead of a run just triggered; the next tick takes "
        f"the files (a scheduled run starts at most {grace_seconds} s late)"
    )
