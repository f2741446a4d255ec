"""A benchmark set through the DAG, its files counted (records, content hash, ledger entry)
while planning against once claimed, while Hive converts them
(`IngestConfig.count_after_claim_min_bytes`), alternating, on the local stack as `make bench`
runs the DAG (bench/e2e/run.py). `--set large`: the 1 GB file, "once claimed" being the
shipped threshold; `--set small`: the 1,000 small files, "once claimed" being every file (0).

The first run warms the stack and Airflow up and is not compared. Writes
bench/.work/e2e/count-after-claim[-small].json and prints each run and the medians.

    .venv/bin/python bench/count_after_claim.py --pairs 4
    .venv/bin/python bench/count_after_claim.py --set small --pairs 4
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

# None: the shipped default (64 MiB, under which the small set's files are read while planning)
MODES = {
    "large": {"while planning": 1 << 62, "once claimed": None},
    "small": {"while planning": None, "once claimed": 0},
}
SETS = {
    "large": e2e.SetSpec("large", 50, 1, 3_600_000),
    "small": e2e.SetSpec("small", 50, 1000, 1000, "mixed"),
}
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
    parser.add_argument("--set", choices=sorted(SETS), default="large")
    args = parser.parse_args()
    context.config_from_params = _config_from_params  # type: ignore[attr-defined]
    spec, modes = SETS[args.set], MODES[args.set]
    e2e.upload(spec, e2e.ensure_set(spec))
    e2e.prepare_airflow()
    e2e.warm_up_airflow()
    e2e.run_dag_on(spec, "warm-up")
    out: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(timespec="minutes"),
        "set": args.set,
        "versions": e2e.versions(),
        "runs": [],
    }
    name = "count-after-claim.json" if args.set == "large" else "count-after-claim-small.json"
    runs: list[dict[str, Any]] = out["runs"]
    for pair in range(1, args.pairs + 1):
        for mode, threshold in modes.items():
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
                    "steps": result["step_seconds"],
                    "tasks": result["task_seconds"],
                }
            )
            print(json.dumps(runs[-1]), flush=True)
            (e2e.WORK / name).write_text(json.dumps(out, indent=1))  # kept run by run
    out["medians"] = {
        mode: {
            key: statistics.median(r[key] for r in runs if r["mode"] == mode)
            for key in ("seconds", "hive_seconds", "overhead_seconds")
        }
        for mode in modes
    }
    (e2e.WORK / name).write_text(json.dumps(out, indent=1))
    print(json.dumps(out["medians"], indent=1))
    return 1 if e2e.FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
