"""Spark contender: read Avro files from HDFS, write Parquet back, in local mode with all cores.
Run with the benchmark's own virtualenv (pyspark 4.2.0). Prints one JSON line."""

from __future__ import annotations

import json
import os
import sys
import time

started = time.monotonic()
from pyspark.sql import SparkSession  # noqa: E402

source, target, sample_ids = sys.argv[1], sys.argv[2], [int(x) for x in sys.argv[3].split(",")]
ivy = os.path.expanduser("~/.cache/avro-ingest/ivy")
spark = (
    SparkSession.builder.master("local[*]")
    .appName("avro-ingest-bench")
    .config("spark.jars.packages", "org.apache.spark:spark-avro_2.13:4.2.0")
    .config("spark.jars.ivy", ivy)
    .config("spark.driver.memory", "3g")
    .config("spark.ui.enabled", "false")
    .config("spark.sql.session.timeZone", "UTC")
    .getOrCreate()
)
spark.sparkContext.setLogLevel("ERROR")
ready = time.monotonic()
df = spark.read.format("avro").load(source)
df.write.mode("overwrite").parquet(target)
written = time.monotonic()
back = spark.read.parquet(target)
rows = back.count()
sample = [r.asDict() for r in back.where(back.row_id.isin(sample_ids)).collect()]
checked = time.monotonic()
spark.stop()
print(
    json.dumps(
        {
            "start_seconds": ready - started,
            "job_seconds": written - ready,
            "check_seconds": checked - written,
            "rows": rows,
            "sample": sample,
        },
        default=str,
    )
)
