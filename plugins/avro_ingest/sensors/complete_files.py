"""Sensor that succeeds once complete Avro files are in the landing folder(s); deferrable, so
it waits in the triggerer. When there is nothing to do the run is skipped, and the task's log
says why: nothing landed, files not yet complete, or a scheduled tick that came too late."""

from __future__ import annotations

import datetime as dt
import os
import time
from typing import Any, NoReturn

from airflow.sdk import BaseSensorOperator
from airflow.sdk.exceptions import AirflowSkipException

from avro_ingest.exceptions import WaitFailed
from avro_ingest.operators.context import config_of, form_of
from avro_ingest.stages.detect import Readiness, look_for_work
from avro_ingest.stages.schedule import late_scheduled_run
from avro_ingest.triggers.complete_files import CompleteAvroFilesTrigger

# Beyond the trigger's own deadline: only a triggerer that stopped running hits this.
_TRIGGER_SAFETY_SECONDS = 300
# Waits this short are polled in the worker: a deferral that ends within seconds races the
# scheduler's handling of the deferring attempt (it retries the resumed task).
_SHORTEST_DEFERRAL_SECONDS = 60


class CompleteAvroFilesSensor(BaseSensorOperator):
    template_fields = ("webhdfs_conn_id",)

    def __init__(
        self,
        *,
        webhdfs_conn_id: str = "webhdfs_default",
        deferrable: bool = True,
        poll_interval: float = 30.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.webhdfs_conn_id = webhdfs_conn_id
        self.deferrable = deferrable
        self.poll_interval = poll_interval

    def _look(self, context: Any) -> Readiness:
        from avro_ingest.hooks.hdfs import AvroIngestHdfsHook

        config = config_of(context)
        return look_for_work(
            AvroIngestHdfsHook(webhdfs_conn_id=self.webhdfs_conn_id),
            config.landing_paths,
            now_ms=int(time.time() * 1000),
            quiet_period_seconds=config.quiet_period_seconds,
            require_success_marker=config.require_success_marker,
            recursive=config.recursive,
        )

    def poke(self, context: Any) -> bool:
        readiness = self._look(context)
        self.log.info("%s", readiness.explain())
        return readiness.found > 0

    def _skip(self, reason: str) -> NoReturn:
        self.log.info("skipped: %s", reason)
        raise AirflowSkipException(reason)

    def execute(self, context: Any) -> Any:
        run = context["dag_run"]
        late = late_scheduled_run(
            run_type=str(getattr(run.run_type, "value", run.run_type)),
            tick=run.run_after,
            started=run.start_date,
            clear_number=getattr(run, "clear_number", 0),
            grace_seconds=int(os.environ.get("AVRO_INGEST_SCHEDULE_GRACE_SECONDS", "300")),
        )
        if late:
            self._skip(late)
        if not self.deferrable:
            return super().execute(context)
        readiness = self._look(context)
        self.log.info("%s", readiness.explain())
        if readiness.found:
            return None
        wait_seconds = int(form_of(context)["wait_seconds"])
        if wait_seconds <= 0:
            self._skip(f"{readiness.explain()}; this run does not wait (wait_seconds 0)")
        config = config_of(context)
        if wait_seconds < _SHORTEST_DEFERRAL_SECONDS:
            self._wait_here(context, wait_seconds)
            return None
        self.log.info("waiting up to %d s for complete files, in the triggerer", wait_seconds)
        self.defer(
            trigger=CompleteAvroFilesTrigger(
                landing_paths=list(config.landing_paths),
                deadline=time.time() + wait_seconds,
                webhdfs_conn_id=self.webhdfs_conn_id,
                quiet_period_seconds=config.quiet_period_seconds,
                require_success_marker=config.require_success_marker,
                recursive=config.recursive,
                poll_interval=self.poll_interval,
            ),
            method_name="execute_complete",
            timeout=dt.timedelta(seconds=wait_seconds + _TRIGGER_SAFETY_SECONDS),
        )
        return None

    def _wait_here(self, context: Any, wait_seconds: int) -> None:
        deadline = time.monotonic() + wait_seconds
        self.log.info("waiting up to %d s for complete files", wait_seconds)
        while True:
            time.sleep(max(0.0, min(5.0, deadline - time.monotonic())))
            readiness = self._look(context)
            if readiness.found:
                self.log.info("%s", readiness.explain())
                return
            if time.monotonic() >= deadline:
                self._skip(f"{readiness.explain()}, after waiting {wait_seconds} s")

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> None:
        status = (event or {}).get("status")
        message = (event or {}).get("message")
        if status == "found":
            self.log.info("%s", message)
            return
        if status == "timeout":
            wait_seconds = form_of(context)["wait_seconds"]
            self._skip(f"{message}, after waiting {wait_seconds} s")
        raise WaitFailed(f"waiting for files failed: {message}")
