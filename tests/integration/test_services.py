"""The DAG under Airflow's real services (api-server, scheduler, dag-processor, triggerer,
LocalExecutor), started once for the session by stack/airflow_services.py and driven over the
REST API as a user or another system would: runs triggered with a form's conf, a run whose
sensor waits in the triggerer while another run goes ahead, two runs racing, failing runs
that end failed, settings refused before anything runs, a dry run that touches nothing, and
the DAG's own schedule (every minute here) skipping the tick it missed while paused."""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from avro_ingest.hooks.hdfs import AvroIngestHdfsHook
from avro_ingest.hooks.hive import AvroIngestHiveHook

from stack.airflow_services import RestClient, TriggerRefused

from .conftest import Area
from .invariants import check_exactly_once, check_nothing_lost, deliver, files_under
from .services import (
    GRACE_SECONDS,
    SCHEDULED,
    SCHEDULED_DATABASE,
    URL,
    Services,
    describe_runs,
)
from .stack_control import stack, stop

pytestmark = pytest.mark.integration


@pytest.fixture
def area(test_area: Area) -> dict[str, Any]:
    return test_area.params()


def test_a_run_triggered_over_the_rest_api_loads_and_names_its_loads(
    airflow: RestClient, services_up: Services, area: dict[str, Any]
) -> None:
    since = time.time()
    landed = deliver(area["landing_path"], 6)
    run_id = airflow.trigger(area)
    assert airflow.wait(run_id, timeout=400) == "success"
    ended = check_exactly_once(area["landing_path"], area["database"], landed)
    assert ended["archived"] == set(landed.files)
    tasks = airflow.tasks(run_id)
    # Mapped loads are named after their table, not numbered.
    assert sorted(
        t["rendered_map_index"] for k, t in tasks.items() if k.startswith("load_table[")
    ) == [
        f"{area['database']}.tick",
        f"{area['database']}.tock",
    ]
    assert tasks["all_steps_succeeded"]["state"] == "success"
    # Each new table's first load is an asset event, which other DAGs can be scheduled on.
    events = airflow.get("/assets/events?limit=100&order_by=-timestamp")["asset_events"]
    assert {e["uri"].rsplit("/", 1)[-1] for e in events if area["database"] in e["uri"]} == {
        "tick",
        "tock",
    }
    # A healthy run logs no error anywhere (scheduler, api-server, triggerer, dag-processor).
    assert services_up.errors_since(since) == []


def test_two_runs_racing_load_each_file_once_and_hive_takes_every_session(
    airflow: RestClient, area: dict[str, Any]
) -> None:
    tables = ("tick", "tock", "tack", "tuck", "teck")
    landed = deliver(area["landing_path"], 20, tables=tables)
    run_ids: list[str] = []
    # Two triggers at the same moment, as a backfill and a manual run would.
    triggers = [
        threading.Thread(target=lambda: run_ids.append(airflow.trigger(area))) for _ in range(2)
    ]
    for trigger in triggers:
        trigger.start()
    for trigger in triggers:
        trigger.join()
    assert [airflow.wait(run_id, timeout=600) for run_id in run_ids] == ["success"] * 2
    check_exactly_once(area["landing_path"], area["database"], landed)
    loads = [
        task
        for run_id in run_ids
        for name, task in airflow.tasks(run_id).items()
        if name.startswith("load_table[")
    ]
    # Either run may claim part of a table's files, so a table can have a load in each run.
    assert {t["rendered_map_index"].split(".")[1] for t in loads} == set(tables)
    # Up to four loads opened their Hive sessions together; none was refused and retried.
    assert [t["try_number"] for t in loads] == [1] * len(loads)


def test_a_tick_missed_while_paused_is_skipped_and_the_next_tick_loads(
    airflow: RestClient,
) -> None:
    """Unpausing (as the trigger form's "Unpause on trigger" does) starts the tick missed
    while paused; it must not run ahead of the dry run just triggered."""
    airflow.patch("/dags/avro_ingest", {"is_paused": True})
    paused_at = time.time()
    try:
        landed = deliver(f"{SCHEDULED}/landing", 4)
        # Past the next minute's tick, and past the grace after it.
        time.sleep(60 - paused_at % 60 + GRACE_SECONDS + 5)
    finally:
        airflow.patch("/dags/avro_ingest", {"is_paused": False})
    dry_run = airflow.trigger({"dry_run": True, "quiet_period_seconds": 0, "wait_seconds": 0})
    assert airflow.wait(dry_run) == "success"
    summary = airflow.xcom(dry_run, "run_summary")
    assert summary["dry_run"] is True

    def scheduled_after(moment: float) -> list[dict[str, Any]]:
        return [
            r
            for r in airflow.runs()
            if r["run_type"] == "scheduled"
            and dt.datetime.fromisoformat(r["run_after"]).timestamp() > moment
        ]

    deadline = time.monotonic() + 60
    while not scheduled_after(paused_at - 1):
        assert time.monotonic() < deadline, "no run for the missed tick"
        time.sleep(2)
    missed = scheduled_after(paused_at - 1)[-1]
    assert airflow.wait(missed["dag_run_id"]) == "success"
    log = airflow.log(missed["dag_run_id"], "wait_for_complete_files")
    assert airflow.tasks(missed["dag_run_id"])["wait_for_complete_files"]["state"] == "skipped"
    assert "paused" in log and "the next tick takes the files" in log
    # The dry run saw every file: the missed tick had loaded nothing before it.
    assert sorted(files_under(f"{SCHEDULED}/landing")) == sorted(
        f"{SCHEDULED}/landing/{name}" for name in landed.files
    )
    # A later tick, on time, loads them (the quiet period of a minute first passes).
    deadline = time.monotonic() + 240
    while True:
        done = [
            r
            for r in scheduled_after(time.time() - 600)
            if r["state"] == "success"
            and airflow.tasks(r["dag_run_id"])["all_steps_succeeded"]["state"] == "success"
        ]
        if done:
            break
        assert time.monotonic() < deadline, "no later tick loaded the files:\n" + describe_runs(
            airflow, scheduled_after(paused_at - 1)
        )
        time.sleep(5)
    check_exactly_once(f"{SCHEDULED}/landing", SCHEDULED_DATABASE, landed)


def test_a_waiting_run_defers_and_does_not_block_another_run(
    airflow: RestClient, area: dict[str, Any]
) -> None:
    hdfs = AvroIngestHdfsHook()
    waiting_landing = area["landing_path"].replace("/landing", "/quiet")
    hdfs.makedirs(waiting_landing)
    waiting = airflow.trigger(
        area | {"landing_path": waiting_landing, "wait_seconds": 300, "database": "svc_wait"}
    )
    deadline = time.monotonic() + 120
    while airflow.tasks(waiting)["wait_for_complete_files"]["state"] != "deferred":
        assert time.monotonic() < deadline, "the sensor never deferred to the triggerer"
        time.sleep(1)
    # While the first run's sensor waits in the triggerer, another run goes ahead.
    landed = deliver(area["landing_path"], 4)
    other = airflow.trigger(area)
    assert airflow.wait(other) == "success"
    assert airflow.state(waiting) == "running"
    check_exactly_once(area["landing_path"], area["database"], landed)
    # A file arrives: the trigger fires, the waiting run loads it.
    arrived = deliver(waiting_landing, 1, prefix="late")
    assert airflow.wait(waiting) == "success"
    check_exactly_once(waiting_landing, "svc_wait", arrived)
    AvroIngestHiveHook().run_statements(["DROP DATABASE IF EXISTS svc_wait CASCADE"])


def test_settings_that_break_the_forms_rules_are_refused_before_a_run_starts(
    airflow: RestClient, area: dict[str, Any]
) -> None:
    runs_before = airflow.manual_runs()
    for bad, field in [
        ({"quiet_period_seconds": -5}, "quiet_period_seconds"),
        ({"landing_path": "relative/landing"}, "landing_path"),
        ({"table_name_rule": "fixed:t"}, "table_name_rule"),
        ({"database": "x; DROP DATABASE y"}, "database"),
    ]:
        with pytest.raises(TriggerRefused) as refused:
            airflow.trigger(area | bad)
        assert refused.value.status == 400
        assert field in refused.value.detail
    assert airflow.manual_runs() == runs_before


def test_a_run_whose_settings_fail_at_run_time_ends_failed_at_once(
    airflow: RestClient, area: dict[str, Any]
) -> None:
    # A key the form does not know (a typo of another system's call) passes Airflow's check,
    # which ignores extra keys; the first task refuses it, without retrying, and says why.
    run_id = airflow.trigger(area | {"databse": "typo"})
    assert airflow.wait(run_id) == "failed"
    tasks = airflow.tasks(run_id)
    assert tasks["wait_for_complete_files"]["state"] == "failed"
    assert tasks["wait_for_complete_files"]["try_number"] == 1  # not retried
    assert "unknown settings: ['databse']" in airflow.log(run_id, "wait_for_complete_files")
    assert tasks["plan_and_claim"]["state"] == "upstream_failed"
    # The summary still reports, and the run is failed all the same.
    assert tasks["run_summary"]["state"] == "success"
    assert tasks["all_steps_succeeded"]["state"] == "upstream_failed"


def test_a_run_whose_storage_folder_cannot_be_made_ends_failed_with_hdfs_own_message(
    airflow: RestClient, area: dict[str, Any]
) -> None:
    hdfs = AvroIngestHdfsHook()
    blocker = area["target_root"].rsplit("/", 1)[0] + "/a-file"
    hdfs.write_bytes(blocker, b"not a folder")
    landed = deliver(area["landing_path"], 2)
    run_id = airflow.trigger(area | {"target_root": f"{blocker}/tables"})
    assert airflow.wait(run_id) == "failed"
    tasks = airflow.tasks(run_id)
    failed = {k: t for k, t in tasks.items() if t["state"] == "failed"}
    assert failed, tasks
    logs = "\n".join(airflow.log(run_id, name) for name in failed)
    assert "a-file" in logs and ("ParentNotDirectory" in logs or "not a directory" in logs)
    # Nothing is lost: the files wait in landing or staging for a run that can load them.
    check_nothing_lost(area["landing_path"], landed)


def test_a_run_set_to_failed_while_it_waits_stays_failed(
    airflow: RestClient, area: dict[str, Any]
) -> None:
    run_id = airflow.trigger(area | {"wait_seconds": 300})
    deadline = time.monotonic() + 120
    while airflow.tasks(run_id)["wait_for_complete_files"]["state"] != "deferred":
        assert time.monotonic() < deadline, "the sensor never deferred to the triggerer"
        time.sleep(1)
    airflow.patch(f"/dags/avro_ingest/dagRuns/{run_id}", {"state": "failed"})
    time.sleep(15)  # the scheduler has looked at the run again
    assert airflow.state(run_id) == "failed"


@pytest.mark.parametrize("wait_seconds", [5, 60], ids=["in-the-worker", "in-the-triggerer"])
def test_a_wait_that_finds_nothing_skips_the_run_and_says_why(
    airflow: RestClient, services_up: Services, area: dict[str, Any], wait_seconds: int
) -> None:
    since = time.time()
    run_id = airflow.trigger(area | {"wait_seconds": wait_seconds})
    assert airflow.wait(run_id) == "success"
    tasks = airflow.tasks(run_id)
    assert tasks["wait_for_complete_files"]["state"] == "skipped"
    assert tasks["all_steps_succeeded"]["state"] == "skipped"
    log = airflow.log(run_id, "wait_for_complete_files")
    assert f"no .avro file in {area['landing_path']}" in log
    assert f"after waiting {wait_seconds} s" in log
    assert tasks["wait_for_complete_files"]["try_number"] == 1
    # Waiting in vain is normal: nothing is logged as an error.
    assert services_up.errors_since(since) == []


def test_a_dry_run_touches_nothing(airflow: RestClient, area: dict[str, Any]) -> None:
    landed = deliver(area["landing_path"], 3)
    before = sorted(files_under(area["landing_path"]))
    run_id = airflow.trigger(area | {"dry_run": True})
    assert airflow.wait(run_id, timeout=400) == "success"
    assert sorted(files_under(area["landing_path"])) == before
    databases = {r[0] for r in AvroIngestHiveHook().query("SHOW DATABASES")}
    assert area["database"] not in databases
    summary = airflow.xcom(run_id, "run_summary")
    assert summary["dry_run"] is True and set(landed.files)


def test_the_readmes_rest_example_works_as_written(airflow: RestClient) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    after = readme.index("Triggering a run over the REST API")
    opening = readme.index("```sh\n", after) + len("```sh\n")
    block = readme[opening : readme.index("```", opening)]
    script = block.replace("localhost:8080", URL.removeprefix("http://"))
    answer = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    run_id = json.loads(answer.stdout)["dag_run_id"]
    assert airflow.wait(run_id) == "success"
    assert airflow.get(f"/dags/avro_ingest/dagRuns/{run_id}")["conf"]["dry_run"] is True


def test_the_executor_is_sized_for_a_small_machine(services_up: Services) -> None:
    scheduler = (services_up.logs.parent / "run" / "scheduler.pid").read_text().strip()
    workers = subprocess.run(
        ["pgrep", "-P", scheduler, "-f", "airflow worker -- LocalExecutor"],
        capture_output=True,
        text=True,
    ).stdout.split()
    # Airflow's default would start 32 (about 150 MB each); this machine has 2 cores.
    assert 1 <= len(workers) <= 4


def test_the_services_keep_their_runs_in_postgresql(
    airflow: RestClient, services_up: Services
) -> None:
    """As deployments run: every run the REST API lists is a row of the PostgreSQL server the
    services started, not of a SQLite file."""
    import sqlalchemy

    from stack import airflow_db

    url = airflow_db.url(services_up.logs.parent)
    assert url.startswith("postgresql")
    listed = {r["dag_run_id"] for r in airflow.runs()}
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sqlalchemy.text("SELECT run_id FROM dag_run WHERE dag_id = 'avro_ingest'")
            )
            stored = {row[0] for row in rows}
    finally:
        engine.dispose()
    assert listed and listed <= stored
    assert not list(services_up.logs.parent.glob("*.db"))


def test_a_run_while_hiveserver2_is_down_fails_with_its_message_and_a_later_run_loads(
    airflow: RestClient, area: dict[str, Any]
) -> None:
    """Kept last in this module: it stops HiveServer2 for the length of one run."""
    landed = deliver(area["landing_path"], 4, tables=("tick",))
    stop("hiveserver2", signal.SIGKILL)
    try:
        run_id = airflow.trigger(area)
        assert airflow.wait(run_id, timeout=400) == "failed"
        tasks = airflow.tasks(run_id)
        assert tasks["load_table[0]"]["try_number"] == 3, "retried twice, then failed"
        assert "HiveServer2 unavailable" in airflow.log(run_id, "load_table[0]")
        check_nothing_lost(area["landing_path"], landed)
    finally:
        stack("up")
    # The failed run's batch is taken over once its lease lapses (here after 10 s).
    time.sleep(11)
    run_id = airflow.trigger(area | {"lease_seconds": 10})
    assert airflow.wait(run_id, timeout=400) == "success"
    ended = check_exactly_once(area["landing_path"], area["database"], landed)
    assert ended["archived"] == set(landed.files)
