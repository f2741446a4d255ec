"""avro_ingest: Avro files landing on HDFS become Parquet tables in Hive, visible in Impala.

Thin on purpose: no I/O at parse time. Settings come from the run's Params (the form of a
manual trigger) whose defaults come from environment variables:

    AVRO_INGEST_LANDING        landing folder(s) on HDFS, comma-separated  (/data/landing)
    AVRO_INGEST_DATABASE       target Hive database                       (avro_ingest)
    AVRO_INGEST_TARGET_ROOT    where target tables live on HDFS (/user/hive/external/avro_ingest)
    AVRO_INGEST_WAIT_SECONDS   how long a run waits for complete files    (3000)
    AVRO_INGEST_SCHEDULE       cron schedule                              (0 * * * *)
    AVRO_INGEST_SCHEDULE_GRACE_SECONDS  a scheduled run starting later than this after its
                               tick is skipped (a tick missed while paused)          (300)
    AVRO_INGEST_IMPALA_CONN_ID Impala connection; empty: the Impala step is skipped, logged
    AVRO_INGEST_RETRY_DELAY_SECONDS  wait before a failed task's retry                 (60)
    AVRO_INGEST_DATASETS       a YAML file of datasets (avro_ingest.datasets): one more DAG,
                               avro_ingest_<name>, per dataset, its form starting from the
                               dataset's settings
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from typing import Any

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import (
    DAG,
    Asset,
    AssetAlias,
    AssetOrTimeSchedule,
    CronTriggerTimetable,
    Param,
    XComArg,
)
from avro_ingest.datasets import Dataset, read_datasets
from avro_ingest.operators.ingest import (
    TABLES_ALIAS,
    ArchiveBatchesOperator,
    DatasetConfigurationError,
    LoadTableOperator,
    PlanBatchesOperator,
    PublishToImpalaOperator,
    RunSummaryOperator,
    TeardownOperator,
)
from avro_ingest.sensors.complete_files import CompleteAvroFilesSensor
from avro_ingest.settings import SETTING, param_schemas

HDFS_NAMENODE = os.environ.get("AVRO_INGEST_HDFS_NAMENODE", "localhost:8020")


def ingest_dag(dag_id: str, description: str, defaults: Mapping[str, Any]) -> DAG:
    """The pipeline as one DAG; `defaults` (a dataset's settings) start its trigger form."""
    landing = defaults.get("landing_path") or SETTING["landing_path"].default_in(os.environ)
    with DAG(
        dag_id=dag_id,
        description=description,
        # On a schedule, or when a producer reports new files on the landing folder's asset.
        schedule=AssetOrTimeSchedule(
            timetable=CronTriggerTimetable(
                os.environ.get("AVRO_INGEST_SCHEDULE", "0 * * * *"), timezone="UTC"
            ),
            assets=Asset(f"hdfs://{HDFS_NAMENODE}{landing.split(',')[0].strip()}"),
        ),
        start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        catchup=False,
        # Runs may overlap: the claim protocol (docs/adr/0002) keeps them apart, so a manual run
        # never queues behind a scheduled one that waits for files.
        max_active_runs=4,
        default_args={
            "retries": 2,
            "retry_delay": dt.timedelta(
                seconds=int(os.environ.get("AVRO_INGEST_RETRY_DELAY_SECONDS", "60"))
            ),
            # A service that restarts (HiveServer2, a NameNode leaving safe mode) gets more time
            # before each retry: the delay doubles (60 s, then 120 s by default).
            "retry_exponential_backoff": 2.0,
            "max_retry_delay": dt.timedelta(minutes=15),
        },
        tags=["avro", "hive", "impala"],
        # The trigger form: titles, help, sections, choices and limits live in
        # avro_ingest.settings, with the rules every run is checked against.
        params={name: Param(**s) for name, s in param_schemas(os.environ, defaults).items()},
    ) as dag:
        wait = CompleteAvroFilesSensor(
            task_id="wait_for_complete_files",
            poll_interval=30,
        )
        plan = PlanBatchesOperator(task_id="plan_and_claim")
        load = LoadTableOperator.partial(
            task_id="load_table",
            outlets=[AssetAlias(TABLES_ALIAS)],
            max_active_tis_per_dagrun=4,
            map_index_template="{{ task.table_group['table'] }}",  # named by table in the UI
        ).expand(table_group=plan.output)
        whole_plan = XComArg(plan, key="plan")
        publish = PublishToImpalaOperator(
            task_id="publish_to_impala",
            loads=load.output,
            impala_conn_id=os.environ.get("AVRO_INGEST_IMPALA_CONN_ID") or None,
        )
        archive = ArchiveBatchesOperator(
            task_id="archive_sources", loads=load.output, plan=whole_plan
        )
        # Runs whatever happened before it (all_done). Not an Airflow teardown: a run with a
        # pending teardown that a user marks failed is decided again once the teardown ends, from
        # leaves Airflow had just set to skipped, and so ends "success".
        teardown = TeardownOperator(
            task_id="drop_temporary_tables",
            plan_task_id=plan.task_id,
            load_task_id=load.task_id,
            trigger_rule="all_done",
        )
        summary = RunSummaryOperator(
            task_id="run_summary",
            plan_task_id=plan.task_id,
            load_task_id=load.task_id,
            publish_task_id=publish.task_id,
            archive_task_id=archive.task_id,
            trigger_rule="all_done",
            retries=0,  # it fails only to report failed batches: a retry would say the same
        )

        # The run's state is decided by its leaves. The summary runs whatever happened (all_done)
        # and would alone make a failed run look green; this leaf fails when any step before it
        # failed, and is skipped, like them, when there was nothing to do.
        all_steps = EmptyOperator(task_id="all_steps_succeeded")

        wait >> plan >> load >> publish >> archive >> summary
        archive >> all_steps
        archive >> teardown

    return dag


def broken_dataset_dag(dataset: Dataset) -> DAG:
    """A dataset whose entry is wrong: its DAG fails at once with the entry's reason."""
    with DAG(
        dag_id=f"avro_ingest_{dataset.name}",
        description=f"avro_ingest dataset {dataset.name}: its configuration is wrong",
        schedule=None,
        start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        tags=["avro", "hive", "impala"],
    ) as dag:
        DatasetConfigurationError(task_id="check_configuration", reason=dataset.error or "")
    return dag


ingest_dag("avro_ingest", "Avro files on HDFS to Parquet tables in Hive, published to Impala", {})
for _dataset in read_datasets(os.environ.get("AVRO_INGEST_DATASETS")):
    if _dataset.error:
        broken_dataset_dag(_dataset)
    else:
        ingest_dag(
            f"avro_ingest_{_dataset.name}",
            f"avro_ingest dataset {_dataset.name}: {_dataset.settings['landing_path']}",
            _dataset.settings,
        )
