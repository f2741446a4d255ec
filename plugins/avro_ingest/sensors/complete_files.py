"""Sensor that succeeds once complete Avro files are in the landing folder(s); deferrable, so
it waits in the triggerer. Runs without a logical date (manual or asset-triggered runs)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from airflow.sdk import BaseSensorOperator
from airflow.sdk.exceptions import AirflowSkipException

from avro_ingest.config import config_from_params
from avro_ingest.detect import count_complete
from avro_ingest.triggers.complete_files import CompleteAvroFilesTrigger


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

    def poke(self, context: Any) -> bool:
        from avro_ingest.hooks.hdfs import AvroIngestHdfsHook

        config = config_from_params(dict(context["params"]))
        found = count_complete(
            AvroIngestHdfsHook(webhdfs_conn_id=self.webhdfs_conn_id),
            config.landing_paths,
            now_ms=int(time.time() * 1000),
            quiet_period_seconds=config.quiet_period_seconds,
            require_success_marker=config.require_success_marker,
            recursive=config.recursive,
        )
        return found > 0

    def execute(self, context: Any) -> Any:
        if not self.deferrable:
            return super().execute(context)
        if self.poke(context):
            return None
        wait_seconds = int(context["params"].get("wait_seconds", self.timeout or 0))
        if wait_seconds <= 0:
            raise AirflowSkipException("no complete files, and this run does not wait for any")
        config = config_from_params(dict(context["params"]))
        self.defer(
            trigger=CompleteAvroFilesTrigger(
                landing_paths=list(config.landing_paths),
                webhdfs_conn_id=self.webhdfs_conn_id,
                quiet_period_seconds=config.quiet_period_seconds,
                require_success_marker=config.require_success_marker,
                recursive=config.recursive,
                poll_interval=self.poll_interval,
            ),
            method_name="execute_complete",
            timeout=dt.timedelta(seconds=wait_seconds),
        )
        return None

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> None:
        if not event or event.get("status") != "found":
            raise RuntimeError(f"waiting for files failed: {(event or {}).get('message')}")
        self.log.info("%s complete file(s) found", event["files"])
