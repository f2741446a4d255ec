from __future__ import annotations

import pytest
from avro_ingest.config import IngestConfig, config_from_params
from avro_ingest.settings import SETTING, param_schemas


def test_params_become_a_config() -> None:
    config = config_from_params(
        {"landing_path": "/data/a, /data/b", "database": "lake", "dry_run": True, "wait_seconds": 0}
    )
    assert config.landing_paths == ("/data/a", "/data/b")
    assert config.database == "lake" and config.dry_run


def test_the_form_speaks_in_gib_and_mib_and_names_one_table_apart() -> None:
    config = config_from_params(
        {
            "landing_path": "/data",
            "max_batch_gib": 0.5,
            "min_parallel_batch_mib": 16,
            "table_name_rule": "fixed",
            "fixed_table_name": "events",
        }
    )
    assert config.max_bytes_per_batch == 512 * 1024**2
    assert config.min_parallel_batch_bytes == 16 * 1024**2
    assert config.table_name_rule == "fixed:events"


def test_an_empty_optional_field_takes_its_default() -> None:
    config = config_from_params({"landing_path": "/data", "quiet_period_seconds": None})
    assert config.quiet_period_seconds == SETTING["quiet_period_seconds"].default == 60


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"landing_path": "/data", "quiet_period_seconds": -5}, "quiet_period_seconds"),
        ({"landing_path": "/data", "table_name_rule": "fixed"}, "fixed_table_name"),
        ({"landing_path": "/data", "databse": "typo"}, "unknown settings: \\['databse'\\]"),
        ({"landing_path": "relative"}, "landing_path"),
    ],
)
def test_bad_params_are_refused_naming_the_setting(params: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        config_from_params(params)


def test_a_deployment_sets_defaults_from_its_environment() -> None:
    form = param_schemas({"AVRO_INGEST_LANDING": "/landing/x", "AVRO_INGEST_WAIT_SECONDS": "0"})
    assert form["landing_path"]["default"] == "/landing/x"
    assert form["wait_seconds"]["default"] == 0
    with pytest.raises(ValueError, match="landing_path"):
        param_schemas({"AVRO_INGEST_LANDING": "relative"})


@pytest.mark.parametrize(
    "values",
    [
        {"landing_paths": ("relative/path",)},
        {"landing_paths": ("/data/_staging",)},
        {"landing_paths": ("/data/",)},
        {"landing_paths": ("/data",), "database": "x; DROP DATABASE y"},
        {"landing_paths": ("/data",), "table_name_rule": "fixed:Bad Name"},
        {"landing_paths": ("/data",), "max_files_per_batch": 0},
        {"landing_paths": ()},
    ],
)
def test_bad_settings_are_refused(values: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        IngestConfig.from_dict(values)


def test_round_trip() -> None:
    config = IngestConfig(landing_paths=("/data",), impala_version="3.4")
    assert IngestConfig.from_dict(config.to_dict()) == config
    assert config.impala_version_tuple == (3, 4)
