from __future__ import annotations

import re
from pathlib import Path

from avro_ingest.hive.evolution import evolution_table_markdown
from avro_ingest.hive.types import TYPE_TABLE, type_table_markdown
from avro_ingest.settings import settings_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_type_table_doc_is_the_generated_table():
    text = (DOCS / "type-table.md").read_text(encoding="utf-8")
    begin = text.index("-->\n", text.index("<!-- BEGIN TYPE TABLE")) + 4
    end = text.index("<!-- END TYPE TABLE -->")
    assert text[begin:end] == type_table_markdown(), (
        "docs/type-table.md is out of date: paste in avro_ingest.hive.types.type_table_markdown()"
    )


def test_type_table_doc_lists_every_row():
    table = type_table_markdown()
    rows = [line for line in table.splitlines()[2:] if line.startswith("| ")]
    assert len(rows) == len(TYPE_TABLE)
    for rule in TYPE_TABLE.values():
        assert any(
            row.startswith(f"| {rule.avro.replace('<', '&lt;').replace('>', '&gt;')} |")
            for row in rows
        ), rule.key


def test_adr_states_when_a_change_violates_it():
    text = (DOCS / "adr" / "0001-type-table.md").read_text(encoding="utf-8")
    assert "A change violates this decision when it:" in text
    for name in ("TYPE_TABLE", "timestamp_from_micros", "decimal_from_fixed"):
        assert name in text


def test_readme_carries_the_generated_type_table():
    text = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    begin = text.index("-->\n", text.index("<!-- BEGIN TYPE TABLE")) + 4
    end = text.index("<!-- END TYPE TABLE -->")
    assert text[begin:end] == type_table_markdown(), "README.md's type table is out of date"


def test_readme_carries_the_generated_settings_table():
    text = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    begin = text.index("-->\n", text.index("<!-- BEGIN SETTINGS TABLE")) + 4
    end = text.index("<!-- END SETTINGS TABLE -->")
    assert text[begin:end] == settings_markdown(), "README.md's settings table is out of date"


def test_readme_carries_the_generated_evolution_table():
    text = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    begin = text.index("-->\n", text.index("<!-- BEGIN EVOLUTION TABLE")) + 4
    end = text.index("<!-- END EVOLUTION TABLE -->")
    assert text[begin:end] == evolution_table_markdown(), "README.md's evolution table is old"


def test_every_test_the_readmes_tried_table_names_exists():
    text = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    table = text[text.index("<!-- BEGIN TRIED TABLE") : text.index("<!-- END TRIED TABLE -->")]
    named = re.findall(r"`(test_[a-z0-9_]+)(?:\[([a-z_]+)\])?`", table)
    assert len(named) >= 15
    sources = "\n".join(
        p.read_text(encoding="utf-8") for p in (DOCS.parent / "tests").rglob("*.py")
    )
    for test, case in named:
        assert f"def {test}(" in sources, f"README names {test}, which does not exist"
        if case:
            assert f'"{case}"' in sources, f"README names case {case} of {test}"
    for module in re.findall(r"`(tests/[a-z_/]+\.py)`", table):
        assert (DOCS.parent / module).is_file(), module


def test_readme_states_the_size_from_which_files_are_counted_once_claimed():
    from avro_ingest.config import IngestConfig

    text = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    stated = {int(n) for n in re.findall(r"(\d+) MiB or more", text)}
    assert stated == {IngestConfig.count_after_claim_min_bytes >> 20}
