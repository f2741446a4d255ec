"""Waits in the triggerer, not in a worker slot, until complete Avro files are present.

It only looks (listing and status over WebHDFS): claiming and loading run on workers, so a
triggerer restart that runs `run()` again does no harm. It keeps its own deadline (a point in
time, so a restart does not extend the wait) and reports when it passes, with what it saw:
waiting in vain is a normal outcome, not an error.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from avro_ingest.stages.detect import Readiness, look_for_work


class CompleteAvroFilesTrigger(BaseTrigger):
    def __init__(
        self,
        *,
        landing_paths: list[str],
        deadline: float,
        webhdfs_conn_id: str = "webhdfs_default",
        quiet_period_seconds: int = 60,
        require_success_marker: bool = False,
        recursive: bool = True,
        poll_interval: float = 30.0,
    ) -> None:
        super().__init__()
        self.landing_paths = list(landing_paths)
        self.deadline = deadline
        self.webhdfs_conn_id = webhdfs_conn_id
        self.quiet_period_seconds = quiet_period_seconds
        self.require_success_marker = require_success_marker
        self.recursive = recursive
        self.poll_interval = poll_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "landing_paths": self.landing_paths,
                "deadline": self.deadline,
                "webhdfs_conn_id": self.webhdfs_conn_id,
                "quiet_period_seconds": self.quiet_period_seconds,
                "require_success_marker": self.require_success_marker,
                "recursive": self.recursive,
                "poll_interval": self.poll_interval,
            },
        )

    def _look(self) -> Readiness:
        from avro_ingest.hooks.hdfs import AvroIngestHdfsHook

        return look_for_work(
            AvroIngestHdfsHook(webhdfs_conn_id=self.webhdfs_conn_id),
            self.landing_paths,
            now_ms=int(time.time() * 1000),
            quiet_period_seconds=self.quiet_period_seconds,
            require_success_marker=self.require_success_marker,
            recursive=self.recursive,
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        # The sensor has just looked: look again only after an interval. A trigger that fires
        # at once races the scheduler, which has not yet heard that the deferring attempt
        # ended, takes the resumed task for one changed behind its back, and retries it.
        await asyncio.sleep(max(0.0, min(self.poll_interval, self.deadline - time.time())))
        while True:
            try:
                readiness = await asyncio.to_thread(self._look)
            except Exception as error:  # reported to the sensor, which fails with it
                yield TriggerEvent(
                    {"status": "error", "message": f"{type(error).__name__}: {error}"}
                )
                return
            if readiness.found:
                self.log.info("%s", readiness.explain())
                yield TriggerEvent({"status": "found", "message": readiness.explain()})
                return
            left = self.deadline - time.time()
            if left <= 0:
                yield TriggerEvent({"status": "timeout", "message": readiness.explain()})
                return
            await asyncio.sleep(min(self.poll_interval, left))
