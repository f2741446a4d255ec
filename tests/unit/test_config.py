from __future__ import annotations

import pytest
from avro_ingest.config import IngestConfig, config_from_params


def test_params_become_a_config() -> None:
    config = config_from_params(
        {"landing_path": "/data/a, /data/b", "database": "lake", "dry_run": True, "wait_seconds": 0}
    )
    assert config.landing_paths == ("/data/a", "/data/b")
    assert config.database == "lake" and config.dry_run


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
