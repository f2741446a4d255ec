"""The 1 GB file through the DAG, its records counted (and its bytes hashed) while planning
against once claimed, while Hive converts it (`IngestConfig.count_after_claim_min_bytes`),
alternating, on the local stack as `make bench` runs the DAG (bench/e2e/run.py).

The first run warms the stack and Airflow up and is not compared. Writes
bench/.work/e2e/count-after-claim.json and prints each run and the medians.

    .venv/bin/python bench/count_after_claim.py --pairs 4
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench" / "e2e"), str(ROOT)]

import run as e2e  # noqa: E402
from avro_ingest import config as config_module  # noqa: E402
from avro_ingest.operators import context  # noqa: E402

MODES = {"while planning": 1 << 62, "once claimed": None}  # None: the shipped default
_threshold: dict[str, int | None] = {"bytes": None}


def _config_from_params(params: Any) -> config_module.IngestConfig:
    # The setting is not on the trigger form: the bench sets it where the tasks read theirs.
    config = config_module.config_from_params(params)
    if _threshold["bytes"] is None:
        return config
    return dataclasses.replace(config, count_after_claim_min_bytes=_threshold["bytes"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=4)
    args = parser.parse_args()
    context.config_from_params = _config_from_params  # type: ignore[assignment]
    spec = e2e.SetSpec("large", 50, 1, 3_600_000)
    e2e.upload(spec, e2e.ensure_set(spec))
    e2e.prepare_airflow()
    e2e.warm_up_airflow()
    e2e.run_dag_on(spec, "warm-up")
    runs: list[dict[str, Any]] = []
    for pair in range(1, args.pairs + 1):
        for mode, threshold in MODES.items():
            _threshold["bytes"] = threshold
            result = e2e.run_dag_on(spec, f"counted {mode}, pair {pair}")
            runs.append(
                {
                    "mode": mode,
                    "pair": pair,
                    "seconds": result["seconds"],
                    "hive_seconds": result["hive_seconds"],
                    "overhead_seconds": result["overhead_seconds"],
                    "cpu_during_conversion": result["cpu_during_conversion"],
                    "inspect_seconds": result["step_seconds"].get("inspect"),
                }
            )
            print(json.dumps(runs[-1]), flush=True)
    summary = {
        mode: {
            key: statistics.median(r[key] for r in runs if r["mode"] == mode)
            for key in ("seconds", "hive_seconds", "overhead_seconds")
        }
        for mode in MODES
    }
    out = {
        "at": datetime.now(UTC).isoformat(timespec="minutes"),
        "versions": e2e.versions(),
        "runs": runs,
        "medians": summary,
    }
    path = e2e.WORK / "count-after-claim.json"
    path.write_text(json.dumps(out, indent=1))
    print(json.dumps(summary, indent=1))
    return 1 if e2e.FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
