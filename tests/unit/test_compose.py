"""docker-compose.yaml cannot run here (no Docker engine): check its structure instead, and that
it uses the versions pinned in stack/versions.env, the same ones the local stack runs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def pinned_versions() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "stack" / "versions.env").read_text().splitlines():
        if line and not line.startswith("#"):
            key, value = line.split("=", 1)
            pins[key] = value
    return pins


def interpolate(text: str, env: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise KeyError(f"docker-compose.yaml uses ${{{name}}}, which versions.env lacks")
        return env[name]

    return re.sub(r"\$\{([A-Z_]+)(?::\?[^}]*)?\}", value, text)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    text = interpolate((ROOT / "docker-compose.yaml").read_text(), pinned_versions())
    loaded = yaml.safe_load(text)
    assert isinstance(loaded, dict)
    return loaded


def test_images_use_the_pinned_versions(compose: dict[str, Any]) -> None:
    pins = pinned_versions()
    images = {name: svc["image"] for name, svc in compose["services"].items()}
    assert images["namenode"] == images["datanode"] == f"apache/hadoop:{pins['HADOOP_VERSION']}"
    assert images["metastore"] == images["hiveserver2"] == f"apache/hive:{pins['HIVE_VERSION']}"
    for service, role in [
        ("impala-statestored", "statestored"),
        ("impala-catalogd", "catalogd"),
        ("impalad", "impalad_coord_exec"),
    ]:
        assert images[service] == f"apache/impala:{pins['IMPALA_VERSION']}-{role}"
    assert images["airflow"].startswith(f"apache/airflow:{pins['AIRFLOW_VERSION']}")


def test_the_local_stack_pins_the_same_versions() -> None:
    pins = pinned_versions()
    requirements = (ROOT / "requirements.txt").read_text()
    assert f"apache-airflow=={pins['AIRFLOW_VERSION']}" in requirements
    stack = (ROOT / "stack" / "stack.sh").read_text()
    assert 'source "$STACK_DIR/versions.env"' in stack


def test_ports_match_the_local_stack_and_impala(compose: dict[str, Any]) -> None:
    published = {
        name: {str(p).split(":")[0] for p in svc.get("ports", [])}
        for name, svc in compose["services"].items()
    }
    assert {"8020", "9870"} <= published["namenode"]
    assert {"10000"} <= published["hiveserver2"]
    assert {"21050"} <= published["impalad"]
    assert {"8080"} <= published["airflow"]
    every_port = [p for ports in published.values() for p in ports]
    assert len(every_port) == len(set(every_port)), "two services publish the same host port"


def test_dependencies_and_volumes_are_declared(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, svc in services.items():
        for dependency in svc.get("depends_on", []):
            assert dependency in services, f"{name} depends on unknown {dependency}"
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in compose["volumes"], f"{name} uses undeclared volume {source}"


def test_hiveserver2_auth_matches_the_airflow_connection(compose: dict[str, Any]) -> None:
    hs2_opts = compose["services"]["hiveserver2"]["environment"]["SERVICE_OPTS"]
    assert "-Dhive.server2.authentication=NOSASL" in hs2_opts
    airflow_env = compose["services"]["airflow"]["environment"]
    assert '"auth_mechanism": "NOSASL"' in airflow_env["AIRFLOW_CONN_HIVESERVER2_DEFAULT"]


def test_an_unpinned_variable_is_caught() -> None:
    with pytest.raises(KeyError, match="SPARK_VERSION"):
        interpolate("image: x:${SPARK_VERSION}", pinned_versions())
