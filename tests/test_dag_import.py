"""The DAG file parses fast, with no errors and no network access."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[1] / "dags"


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access while parsing the DAG: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_dag_parses_without_errors_or_network(airflow_db: None, no_network: None) -> None:
    from airflow.dag_processing.dagbag import DagBag

    started = time.monotonic()
    bag = DagBag(dag_folder=str(DAGS))
    elapsed = time.monotonic() - started
    assert bag.import_errors == {}
    dag = bag.get_dag("avro_ingest")
    assert dag is not None
    assert {t.task_id for t in dag.tasks} == {
        "wait_for_complete_files",
        "plan_and_claim",
        "load_table",
        "publish_to_impala",
        "archive_sources",
        "drop_temporary_tables",
        "run_summary",
        "all_steps_succeeded",
    }
    assert dag.get_task("drop_temporary_tables").is_teardown
    print(f"parsed in {elapsed:.3f} s")


def test_params_form_has_the_manual_trigger_fields(airflow_db: None) -> None:
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(DAGS)).get_dag("avro_ingest")
    assert dag is not None
    assert {
        "landing_path",
        "database",
        "table_name_rule",
        "max_files_per_batch",
        "max_bytes_per_batch",
        "dry_run",
    } <= set(dag.params.keys())


def test_it_runs_on_a_schedule_or_an_asset_event(airflow_db: None) -> None:
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(DAGS)).get_dag("avro_ingest")
    assert dag is not None
    timetable = dag.timetable
    assert type(timetable).__name__ == "AssetOrTimeSchedule"
    assert timetable.timetable.expression == "0 * * * *"
    assert timetable.asset_condition.uri == "hdfs://localhost:8020/data/landing"
    assert (
        dag.max_active_runs > 1
    )  # overlapping runs are safe (tests/integration/test_exactly_once.py)
    load = dag.get_task("load_table")
    assert [o.name for o in load.outlets] == ["avro-ingest-tables"]
