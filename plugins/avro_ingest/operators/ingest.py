"""The DAG's operators. Each reads the run's settings from its Params, builds its hooks, and
calls one function of avro_ingest.pipeline; the logic lives there."""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import cached_property
from typing import Any

from airflow.providers.apache.hive.assets.hive import create_asset
from airflow.sdk import AssetAlias, BaseOperator

from avro_ingest import pipeline
from avro_ingest.config import config_from_params
from avro_ingest.convert import ConversionResult
from avro_ingest.hooks.hdfs import AvroIngestHdfsHook
from avro_ingest.hooks.hive import AvroIngestHiveHook
from avro_ingest.publish import impala_statements
from avro_ingest.report import render_summary, summarise

TABLES_ALIAS = "avro-ingest-tables"


class _IngestOperator(BaseOperator):
    def __init__(
        self,
        *,
        webhdfs_conn_id: str = "webhdfs_default",
        hiveserver2_conn_id: str = "hiveserver2_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.webhdfs_conn_id = webhdfs_conn_id
        self.hiveserver2_conn_id = hiveserver2_conn_id

    @cached_property
    def hdfs(self) -> AvroIngestHdfsHook:
        return AvroIngestHdfsHook(webhdfs_conn_id=self.webhdfs_conn_id)

    @cached_property
    def hive(self) -> AvroIngestHiveHook:
        return AvroIngestHiveHook(hiveserver2_conn_id=self.hiveserver2_conn_id)


class PlanBatchesOperator(_IngestOperator):
    """Detect, inspect, quarantine, group and claim. Returns the target tables (one entry per
    table, for dynamic mapping) and pushes the whole plan under the XCom key `plan`."""

    def execute(self, context: Any) -> list[dict[str, Any]]:
        config = config_from_params(dict(context["params"]))
        plan = pipeline.plan_run(self.hdfs, config, run_id=str(context["run_id"]))
        context["ti"].xcom_push(key="plan", value=plan)
        batches = sum(len(t["batches"]) for t in plan["tables"])
        self.log.info(
            "%d batch(es) for %d table(s); %d file(s) quarantined; %d not yet complete%s",
            batches,
            len(plan["tables"]),
            len(plan["quarantined"]),
            plan["waiting"],
            " (dry run)" if config.dry_run else "",
        )
        for item in plan["quarantined"]:
            self.log.warning("quarantined %s: %s", item["path"], item["message"])
        tables: list[dict[str, Any]] = plan["tables"]
        return tables


class LoadTableOperator(_IngestOperator):
    """Convert and verify every batch of one target table (mapped: one task per table, so
    tables load in parallel and each table has one writer)."""

    template_fields: Sequence[str] = ("table_group",)

    def __init__(self, *, table_group: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.table_group = table_group

    def execute(self, context: Any) -> dict[str, Any]:
        config = config_from_params(dict(context["params"]))
        outcome = pipeline.load_table(
            self.hdfs, self.hive, self.table_group, config, run_id=str(context["run_id"])
        )
        for statement in (s for r in outcome["results"] for s in r["statements"]):
            self.log.info("%s: %s", "would run" if config.dry_run else "ran", statement)
        if outcome["results"] and not config.dry_run:
            conn = self.hive.get_connection(self.hiveserver2_conn_id)
            for result in outcome["results"]:
                context["outlet_events"][AssetAlias(TABLES_ALIAS)].add(
                    create_asset(
                        host=conn.host or "localhost",
                        port=conn.port or 10000,
                        database=result["database"],
                        table=result["table"],
                    ),
                    extra={"batch_id": result["batch_id"], "rows": result["rows_verified"]},
                )
        if outcome["failed"]:
            # The other batches of this table are loaded and reported; the task fails so the
            # run shows it, and a retry reloads the failed batches into their own partitions.
            context["ti"].xcom_push(key="partial", value=outcome)
            raise RuntimeError(
                "; ".join(f"batch {f['batch_id']}: {f['error']}" for f in outcome["failed"])
            )
        return outcome


class PublishToImpalaOperator(BaseOperator):
    """INVALIDATE METADATA / REFRESH PARTITION / COMPUTE INCREMENTAL STATS in Impala. With no
    Impala connection configured it says so and succeeds."""

    def __init__(self, *, loads: Any, impala_conn_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loads = loads
        self.impala_conn_id = impala_conn_id

    template_fields: Sequence[str] = ("loads", "impala_conn_id")

    def execute(self, context: Any) -> dict[str, Any]:
        results = [
            ConversionResult(**r)
            for load in self.loads or []
            if load
            for r in load["results"]
            if not r["dry_run"]
        ]
        statements = impala_statements(results)
        if not statements:
            self.log.info("nothing loaded: nothing to publish to Impala")
            return {"statements": [], "seconds": 0.0, "ran": False}
        if not self.impala_conn_id:
            self.log.info(
                "no Impala connection configured (impala_conn_id): skipping %d statement(s): %s",
                len(statements),
                statements,
            )
            return {"statements": statements, "seconds": 0.0, "ran": False}
        from airflow.providers.apache.impala.hooks.impala import ImpalaHook

        started = time.monotonic()
        ImpalaHook(impala_conn_id=self.impala_conn_id).run(statements)
        return {"statements": statements, "seconds": time.monotonic() - started, "ran": True}


class ArchiveBatchesOperator(_IngestOperator):
    template_fields: Sequence[str] = ("loads", "plan")

    def __init__(self, *, loads: Any, plan: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loads = loads
        self.plan = plan

    def execute(self, context: Any) -> dict[str, Any]:
        if not self.plan:
            return {"batches": [], "seconds": 0.0}
        return pipeline.archive(self.hdfs, [load for load in self.loads or [] if load], self.plan)


class TeardownOperator(_IngestOperator):
    template_fields: Sequence[str] = ("plan",)

    def __init__(self, *, plan: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plan = plan

    def execute(self, context: Any) -> dict[str, Any]:
        if not self.plan:
            self.log.info("no plan (the planning task failed early): nothing to tear down")
            return {"dropped_tables": []}
        return pipeline.teardown(self.hdfs, self.hive, self.plan)


class RunSummaryOperator(BaseOperator):
    template_fields: Sequence[str] = ("plan", "loads", "published", "archived")

    def __init__(
        self, *, plan: Any, loads: Any, published: Any, archived: Any, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.plan = plan
        self.loads = loads
        self.published = published
        self.archived = archived

    def execute(self, context: Any) -> dict[str, Any]:
        loads = [load for load in self.loads or [] if load]
        summary = summarise(
            plan=self.plan or {},
            loads=loads,
            published=[self.published] if self.published else [],
            archived=self.archived or {},
        )
        self.log.info("run summary\n%s", render_summary(summary))
        return summary
