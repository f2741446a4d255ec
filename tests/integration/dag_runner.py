"""Run the real avro_ingest DAG in-process with dag.test() and read its task results back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airflow.dag_processing.dagbag import DagBag

DAGS = Path(__file__).resolve().parents[2] / "dags"


def load_dag(dag_id: str = "avro_ingest") -> Any:
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}, bag.import_errors
    return bag.get_dag(dag_id)


def run_dag(conf: dict[str, Any], dag_id: str = "avro_ingest") -> tuple[Any, dict[str, Any]]:
    """One run, with no logical date (as manual and asset-triggered runs in Airflow 3).
    Returns the run and {task_id or task_id[map_index]: return value}."""
    from airflow.models.xcom import XComModel
    from airflow.settings import Session

    dag = load_dag(dag_id)
    run = dag.test(logical_date=None, run_conf=conf)
    session = Session()
    values: dict[str, Any] = {}
    rows = session.scalars(XComModel.get_many(run_id=run.run_id, dag_ids=dag_id))
    for row in rows:
        name = row.task_id if row.map_index < 0 else f"{row.task_id}[{row.map_index}]"
        if row.key != "return_value":
            name = f"{name}:{row.key}"
        values[name] = XComModel.deserialize_value(row)
    states = {
        ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]": ti.state
        for ti in run.get_task_instances(session=session)
    }
    values["_states"] = states
    return run, values
