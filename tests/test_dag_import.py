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
    assert dag.get_task("drop_temporary_tables").trigger_rule == "all_done"
    print(f"parsed in {elapsed:.3f} s")


def test_the_form_shows_every_setting_with_a_title_help_and_a_section(
    airflow_db: None,
) -> None:
    from airflow.dag_processing.dagbag import DagBag
    from avro_ingest.settings import SETTINGS

    dag = DagBag(dag_folder=str(DAGS)).get_dag("avro_ingest")
    assert dag is not None
    assert list(dag.params.keys()) == [s.name for s in SETTINGS]
    for name in dag.params:
        schema = dag.params.get_param(name).schema
        assert schema["title"] and schema["section"] and dag.params.get_param(name).description
    required = {n for n in dag.params if "null" not in dag.params.get_param(n).schema["type"]}
    assert required == {
        "landing_path",
        "table_name_rule",
        "database",
        "target_root",
    }
    rule = dag.params.get_param("table_name_rule").schema
    assert rule["enum"] == ["schema", "folder", "fixed"]
    assert set(rule["values_display"]) == set(rule["enum"])
    assert dag.params["max_batch_gib"] == 20  # not 21474836480


# Values the form must refuse, and values it must take, for each rule.
SAMPLES = {
    "landing_path": (
        ["relative/landing", "/data/", "/data/_staging", "/data/${x}", "/a\\b", "/a,b", ""],
        ["/data/landing", "/data/a, /data/b", "/data/with space", "/data/it's"],
    ),
    "target_root": (["relative", "/t/", "/t/${x}", "/t\\x"], ["/user/hive/t", "/t/o'k"]),
    "database": (["x; DROP DATABASE y", "1abc", ""], ["lake", "ab_cd"]),
    "table_name_rule": (["fixed:t", "other"], ["schema", "folder", "fixed"]),
    "fixed_table_name": (["Bad Name", "a-b"], ["events", None]),
    "quiet_period_seconds": ([-5, "60", 1.5, True], [0, 60, None]),
    "max_batch_gib": ([0, -1], [0.5, 20]),
    "parallel_loads": ([0, 17], [1, 16]),
    "lease_seconds": ([9], [10, 600]),
    "dry_run": (["yes", 1], [True, False, None]),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_airflow_and_the_pipeline_apply_the_same_rules(airflow_db: None, name: str) -> None:
    """The form (Airflow's JSON-schema check, before a run starts) and read_form (every run)
    refuse exactly the same values."""
    from airflow.exceptions import ParamValidationError
    from airflow.sdk import Param
    from avro_ingest.settings import SETTING

    setting = SETTING[name]
    refused, taken = SAMPLES[name]
    for value in refused:
        with pytest.raises(ParamValidationError):
            Param(**setting.schema({})).resolve(value)
        with pytest.raises(ValueError, match=name):
            setting.check(value)
    for value in taken:
        Param(**setting.schema({})).resolve(value)
        setting.check(value)


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


def test_steps_that_talk_to_services_retry_with_growing_delays(airflow_db: None) -> None:
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(DAGS)).get_dag("avro_ingest")
    for task_id in ("plan_and_claim", "load_table", "archive_sources", "publish_to_impala"):
        task = dag.get_task(task_id)
        assert task.retries >= 2, task_id
        assert task.retry_exponential_backoff > 1, task_id


def test_each_dataset_of_the_datasets_file_is_a_dag_of_its_own(
    airflow_db: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.dag_processing.dagbag import DagBag
    from avro_ingest.exceptions import InvalidSetting

    datasets = tmp_path / "datasets.yaml"
    datasets.write_text(
        "datasets:\n"
        "  - name: clicks\n"
        "    landing_path: /data/landing/clicks\n"
        "    database: web\n"
        "    schema_changes: evolve\n"
        "  - name: orders\n"
        "    landing_path: /data/landing/orders\n"
        "    schema_changes: freeze\n"
        "    max_files_per_batch: 50\n"
        "  - name: broken\n"
        "    landing_path: /data/landing/broken\n"
        "    max_files_per_batch: -1\n"
    )
    monkeypatch.setenv("AVRO_INGEST_DATASETS", str(datasets))

    bag = DagBag(dag_folder=str(DAGS))

    assert not bag.import_errors
    assert {"avro_ingest", "avro_ingest_clicks", "avro_ingest_orders"} <= set(bag.dag_ids)
    clicks, orders = bag.get_dag("avro_ingest_clicks"), bag.get_dag("avro_ingest_orders")
    assert clicks.params["landing_path"] == "/data/landing/clicks"
    assert clicks.params["database"] == "web"
    assert orders.params["schema_changes"] == "freeze"
    assert orders.params["max_files_per_batch"] == 50
    assert orders.timetable.asset_condition.uri == "hdfs://localhost:8020/data/landing/orders"
    broken = bag.get_dag("avro_ingest_broken")
    (check,) = broken.tasks
    with pytest.raises(InvalidSetting, match=rf"{datasets}:10: dataset broken: max_files"):
        check.execute({})
