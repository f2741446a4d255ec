from __future__ import annotations

from avro_ingest.stages.report import render_summary, summarise


def test_summary_adds_up_tables_quarantine_and_steps() -> None:
    result = {
        "database": "lake",
        "table": "click",
        "files": 3,
        "rows_verified": 600,
        "bytes": 900,
        "new_table": True,
    }
    summary = summarise(
        plan={
            "quarantined": [
                {
                    "path": "/l/bad.avro",
                    "reason": "truncated",
                    "message": "/l/bad.avro: file is truncated",
                }
            ],
            "waiting": 2,
            "step_seconds": {"detect": 0.5, "inspect": 1.0},
        },
        loads=[
            {
                "results": [
                    result,
                    result | {"files": 1, "rows_verified": 50, "schema_changes": ["added ref"]},
                ],
                "failed": [],
                "quarantined": [],
                "step_seconds": {"convert": 4.0, "verify": 2.0},
            }
        ],
        published=[{"seconds": 0.25}],
        archived={"seconds": 0.1, "batches": ["/l/_archive/d/b1"]},
    )
    assert summary["tables"]["lake.click"] == {
        "files": 4,
        "rows": 650,
        "bytes": 1800,
        "batches": 2,
        "new_table": True,
        "schema_changes": ["added ref"],
    }
    assert summary["rows_ingested"] == 650 and summary["files_ingested"] == 4
    assert summary["step_seconds"] == {
        "detect": 0.5,
        "inspect": 1.0,
        "convert": 4.0,
        "verify": 2.0,
        "publish": 0.25,
        "archive": 0.1,
    }
    text = render_summary(summary)
    assert "lake.click" in text and "650" in text
    assert "truncated" in text and "/l/bad.avro: file is truncated" in text
    assert "not yet complete, left for a later run: 2 file(s)" in text
    assert "schema of lake.click: added ref" in text
