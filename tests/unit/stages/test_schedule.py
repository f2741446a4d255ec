from __future__ import annotations

import datetime as dt

from avro_ingest.stages.schedule import late_scheduled_run

TICK = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)


def late(
    run_type: str = "scheduled", after_s: float = 0, cleared: int = 0, grace_s: int = 300
) -> str | None:
    return late_scheduled_run(
        run_type=run_type,
        tick=TICK,
        started=TICK + dt.timedelta(seconds=after_s),
        clear_number=cleared,
        grace_seconds=grace_s,
    )


def test_a_tick_that_starts_on_time_runs() -> None:
    assert late(after_s=5) is None
    assert late(after_s=300) is None


def test_a_tick_missed_while_paused_is_skipped_with_its_reason() -> None:
    reason = late(after_s=47 * 60)
    assert reason is not None
    assert "2026-12-02 10:00 UTC" in reason and "47 min" in reason


def test_a_run_a_little_late_says_so_in_seconds() -> None:
    reason = late(after_s=26, grace_s=20)
    assert reason is not None and "26 s after it" in reason


def test_manual_runs_and_cleared_runs_are_never_late() -> None:
    assert late(run_type="manual", after_s=3600) is None
    assert late(run_type="asset_triggered", after_s=3600) is None
    assert late(after_s=3600, cleared=1) is None
