from __future__ import annotations

import pytest
from avro_ingest.datasets import load_datasets, read_datasets
from avro_ingest.exceptions import InvalidSetting

GOOD = """\
datasets:
  - name: clicks
    landing_path: /data/landing/clicks
    database: web
  - name: orders
    landing_path: /data/landing/orders
    schema_changes: discard_new_columns
"""
X = "  - name: x\n    landing_path: /l\n"


def test_each_entry_keeps_its_own_settings() -> None:
    clicks, orders = load_datasets(GOOD)
    assert (clicks.name, clicks.line, clicks.error) == ("clicks", 2, None)
    assert dict(clicks.settings) == {"landing_path": "/data/landing/clicks", "database": "web"}
    assert orders.settings["schema_changes"] == "discard_new_columns"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (f"{X}    color: red\n", "datasets.yaml:10: unknown setting 'color'"),
        ("  - name: x\n    landing_path: rel\n", "datasets.yaml:8: dataset x: landing_path"),
        (f"{X}    schema_changes: grow\n", "datasets.yaml:8: dataset x: schema_changes"),
        ("  - name: X-1\n    landing_path: /l\n", "datasets.yaml:8: name must match"),
        ("  - name: x\n    database: d\n", "datasets.yaml:8: dataset x has no landing_path"),
        ("  - name: clicks\n    landing_path: /l\n", "datasets.yaml:8: dataset clicks is also on"),
        ("  - just a string\n", "datasets.yaml:8: an entry must be a mapping"),
    ],
)  # fmt: skip
def test_a_bad_entry_names_its_line_and_leaves_the_others(entry: str, message: str) -> None:
    *good, bad = load_datasets(GOOD + entry)
    assert [d.error for d in good] == [None, None]
    assert bad.error is not None and bad.error.startswith(message), bad.error


def test_a_file_that_is_not_yaml_or_has_no_list_is_refused_with_its_line() -> None:
    with pytest.raises(InvalidSetting, match=r"datasets.yaml:3: not YAML"):
        load_datasets("datasets:\n  - name: [unclosed\n")
    with pytest.raises(InvalidSetting, match=r"datasets.yaml:1: expected `datasets:`"):
        load_datasets("feeds: []\n")
    assert load_datasets("") == []


def test_a_file_that_cannot_be_read_is_one_failing_dataset(tmp_path) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "datasets.yaml"
    broken.write_text("datasets: [unclosed\n")
    (bad,) = read_datasets(str(broken))
    assert bad.name == "datasets_file" and bad.error and "not YAML" in bad.error
    (missing,) = read_datasets(str(tmp_path / "absent.yaml"))
    assert missing.error and "absent.yaml" in missing.error
    assert read_datasets(None) == [] and read_datasets("") == []
