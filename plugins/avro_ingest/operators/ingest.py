"""The DAG's operators. Each reads the run's settings from its Params, builds its hooks, and
calls one function of avro_ingest.pipeline; the logic lives there."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

from airflow.providers.apache.hive.assets.hive import create_asset
from airflow.sdk import AssetAlias, BaseOperator

from avro_ingest import pipeline
from avro_ingest.exceptions import BatchesFailed, InvalidSetting
from avro_ingest.hooks.hdfs import AvroIngestHdfsHook
from avro_ingest.hooks.hive import AvroIngestHiveHook
from avro_ingest.operators.context import config_of
from avro_ingest.records import (
    ArchiveOutcome,
    LoadOutcome,
    PublishOutcome,
    TableGroup,
    TeardownOutcome,
)
from avro_ingest.stages.convert import ConversionResult
from avro_ingest.stages.publish import publish_to_impala
from avro_ingest.stages.report import render_summary, summarise

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


def _results(mapped: Any) -> list[Any]:
    """Every result of a mapped task that produced one. Read as one slice: iterating Airflow's
    lazy sequence finds its end by asking for one item too many, which the task's supervisor
    logs as an error ("XCom not found") on every healthy run."""
    if not mapped:
        return []
    return [result for result in mapped[:] if result]


def _attempt(context: Any) -> str:
    """This task instance's attempt, as the claim protocol's manifests name it."""
    ti = context["ti"]
    index = getattr(ti, "map_index", -1)
    name = ti.task_id if index is None or index < 0 else f"{ti.task_id}[{index}]"
    return f"{name}#{getattr(ti, 'try_number', 0)}"


class PlanBatchesOperator(_IngestOperator):
    """Detect, inspect, quarantine, group and claim. Returns the target tables (one entry per
    table, for dynamic mapping) and pushes the whole plan under the XCom key `plan`."""

    def execute(self, context: Any) -> list[TableGroup]:
        config = config_of(context)
        plan = pipeline.plan_run(
            self.hdfs, config, run_id=str(context["run_id"]), attempt=_attempt(context)
        )
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
        return plan["tables"]


class LoadTableOperator(_IngestOperator):
    """Convert and verify every batch of one target table (mapped: one task per table, so
    tables load in parallel and each table has one writer)."""

    template_fields: Sequence[str] = ("table_group",)

    def __init__(self, *, table_group: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.table_group = table_group

    def execute(self, context: Any) -> LoadOutcome:
        config = config_of(context)
        with self.hive.reusing_sessions():
            outcome = pipeline.load_table(
                self.hdfs,
                self.hive,
                self.table_group,
                config,
                run_id=str(context["run_id"]),
                attempt=_attempt(context),
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
        for failure in outcome["failed"]:
            # Reported, not raised: the table's other batches are loaded, downstream tasks
            # still get this task's result, and the run summary fails the run.
            self.log.error("batch %s failed: %s", failure["batch_id"], failure["error"])
        return outcome


class DatasetConfigurationError(BaseOperator):
    """The one task of a dataset whose entry is wrong: fails with the entry's reason (file and
    line), so the dataset shows failed while the others run."""

    def __init__(self, *, reason: str, **kwargs: Any) -> None:
        super().__init__(retries=0, **kwargs)
        self.reason = reason

    def execute(self, context: Any) -> None:
        raise InvalidSetting(self.reason)


class PublishToImpalaOperator(BaseOperator):
    """INVALIDATE METADATA / REFRESH PARTITION / COMPUTE INCREMENTAL STATS in Impala. With no
    Impala connection configured it says so and succeeds."""

    def __init__(self, *, loads: Any, impala_conn_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loads = loads
        self.impala_conn_id = impala_conn_id

    template_fields: Sequence[str] = ("loads", "impala_conn_id")

    def execute(self, context: Any) -> PublishOutcome:
        results = [ConversionResult(**r) for load in _results(self.loads) for r in load["results"]]
        run = None
        if self.impala_conn_id:
            from airflow.providers.apache.impala.hooks.impala import ImpalaHook

            run = ImpalaHook(impala_conn_id=self.impala_conn_id).run
        return publish_to_impala(results, run)


class ArchiveBatchesOperator(_IngestOperator):
    template_fields: Sequence[str] = ("loads", "plan")

    def __init__(self, *, loads: Any, plan: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loads = loads
        self.plan = plan

    def execute(self, context: Any) -> ArchiveOutcome:
        if not self.plan:
            return {"batches": [], "seconds": 0.0}
        return pipeline.archive(self.hdfs, _results(self.loads))


def _pull(context: Any, task_id: str, key: str = "return_value") -> Any:
    """A task's XCom, or None when that task was skipped or failed before producing it."""
    return context["ti"].xcom_pull(task_ids=task_id, key=key, default=None)


def _pull_mapped(context: Any, task_id: str) -> list[Any]:
    """Every map index's result of a mapped task, skipping those that produced none."""
    values = context["ti"].xcom_pull(task_ids=task_id, default=None)
    if values is None:
        return []
    if isinstance(values, dict):
        return [values]
    return [v for v in values if v]


class TeardownOperator(_IngestOperator):
    """Drops the run's temporary tables and schema files, whatever happened before it; reads
    the plan itself, so that it also runs when the planning task produced nothing."""

    def __init__(self, *, plan_task_id: str, load_task_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plan_task_id = plan_task_id
        self.load_task_id = load_task_id

    def execute(self, context: Any) -> TeardownOutcome:
        plan = _pull(context, self.plan_task_id, key="plan")
        if not plan:
            self.log.info("no plan (nothing to do, or planning failed): nothing to tear down")
            return {"dropped_tables": []}
        return pipeline.teardown(
            self.hdfs, self.hive, plan, _pull_mapped(context, self.load_task_id)
        )


class RunSummaryOperator(BaseOperator):
    """Collects the run's results (whichever tasks produced one) into the summary."""

    def __init__(
        self,
        *,
        plan_task_id: str,
        load_task_id: str,
        publish_task_id: str,
        archive_task_id: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.plan_task_id = plan_task_id
        self.load_task_id = load_task_id
        self.publish_task_id = publish_task_id
        self.archive_task_id = archive_task_id

    def execute(self, context: Any) -> dict[str, Any]:
        published = _pull(context, self.publish_task_id)
        summary = summarise(
            plan=_pull(context, self.plan_task_id, key="plan") or {},
            loads=_pull_mapped(context, self.load_task_id),
            published=[published] if published else [],
            archived=_pull(context, self.archive_task_id) or {},
        )
        self.log.info("run summary\n%s", render_summary(summary))
        if summary["failed_batches"]:
            # Their files stay in staging; the next run loads them again, into their own
            # partitions, so nothing is duplicated.
            context["ti"].xcom_push(key="return_value", value=summary)
            taken = sum(1 for f in summary["failed_batches"] if f.get("taken_over"))
            raise BatchesFailed(
                f"{len(summary['failed_batches'])} batch(es) failed"
                + (f", {taken} of them taken over by another run or attempt" if taken else "")
                + "; see the summary"
            )
        return summary
