"""The manual recipe, done through the providers' hooks over the real protocols: an Avro file and
its .avsc on HDFS (WebHDFS), a Hive AvroSerDe table over them, CTAS to Parquet (HiveServer2
Thrift), and impyla, which ImpalaHook uses, querying the same HiveServer2."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
from decimal import Decimal

import fastavro
import pytest
from airflow.providers.apache.hdfs.hooks.webhdfs import WebHDFSHook
from airflow.providers.apache.hive.hooks.hive import HiveServer2Hook
from airflow.providers.apache.impala.hooks.impala import ImpalaHook

pytestmark = pytest.mark.integration

SCHEMA = {
    "type": "record",
    "name": "Order",
    "namespace": "shop",
    "fields": [
        {"name": "order_id", "type": "long"},
        {"name": "customer", "type": "string"},
        {"name": "quantity", "type": "int"},
        {"name": "price", "type": "double"},
        {"name": "paid", "type": "boolean"},
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "created", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {
            "name": "amount",
            "type": {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2},
        },
    ],
}
ROWS = 1000
EPOCH = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)


def make_rows() -> list[dict[str, object]]:
    return [
        {
            "order_id": 10_000_000_000 + i,
            "customer": f"customer-{i % 97:03d}-{'x' * (i % 7)}",
            "quantity": i % 13,
            "price": i * 1.25,
            "paid": i % 3 == 0,
            "note": None if i % 4 else f"note {i}",
            "created": EPOCH + dt.timedelta(seconds=i, milliseconds=i % 1000),
            "day": dt.date(2026, 1, 1) + dt.timedelta(days=i % 365),
            "amount": Decimal(i * 37 % 100_000) / 100,
        }
        for i in range(ROWS)
    ]


def test_recipe_avro_to_parquet_through_the_providers(
    webhdfs: WebHDFSHook, hive: HiveServer2Hook, hdfs_folder: str
) -> None:
    rows = make_rows()
    buffer = io.BytesIO()
    fastavro.writer(buffer, fastavro.parse_schema(SCHEMA), rows, codec="deflate")

    client = webhdfs.get_conn()
    data_dir = f"{hdfs_folder}/landing"
    schema_path = f"{hdfs_folder}/schemas/orders.avsc"
    client.write(f"{data_dir}/orders.avro", data=buffer.getvalue())
    client.write(schema_path, data=json.dumps(SCHEMA).encode())

    suffix = uuid.uuid4().hex[:8]
    avro_table, parquet_table = f"recipe_avro_{suffix}", f"recipe_parquet_{suffix}"
    hive.run(
        [
            f"CREATE EXTERNAL TABLE {avro_table} STORED AS AVRO "
            f"LOCATION '{data_dir}' "
            f"TBLPROPERTIES ('avro.schema.url'='{schema_path}')",
            f"CREATE TABLE {parquet_table} STORED AS PARQUET "
            f"LOCATION '{hdfs_folder}/parquet' AS SELECT * FROM {avro_table}",
        ]
    )
    try:
        # A scanning query, so the answer comes from the Parquet files, not table statistics.
        count = hive.get_first(f"SELECT COUNT(DISTINCT order_id) FROM {parquet_table}")
        assert count == (ROWS,)

        sample_ids = [0, 1, 4, 499, 998]
        got = hive.get_records(
            "SELECT order_id, customer, quantity, price, paid, note, "
            "CAST(created AS STRING), CAST(day AS STRING), CAST(amount AS STRING) "
            f"FROM {parquet_table} WHERE order_id IN "
            f"({', '.join(str(10_000_000_000 + i) for i in sample_ids)}) ORDER BY order_id"
        )
        expected = []
        for i in sample_ids:
            row = rows[i]
            created = row["created"]
            assert isinstance(created, dt.datetime)
            expected.append(
                (
                    row["order_id"],
                    row["customer"],
                    row["quantity"],
                    row["price"],
                    row["paid"],
                    row["note"],
                    # The stack runs HiveServer2 in UTC: the instant shows as UTC wall time.
                    created.strftime("%Y-%m-%d %H:%M:%S.%f").rstrip("0").rstrip("."),
                    str(row["day"]),
                    f"{row['amount']:.2f}",
                )
            )
        assert [tuple(r) for r in got] == expected

        # The Parquet table really is Parquet, at the location asked for.
        create = "\n".join(
            str(r[0]) for r in hive.get_records(f"SHOW CREATE TABLE {parquet_table}")
        )
        assert "MapredParquetOutputFormat" in create
        assert f"{hdfs_folder}/parquet" in create
        parquet_files = [
            name for name in client.list(f"{hdfs_folder}/parquet") if not name.startswith(".")
        ]
        assert parquet_files, "the CTAS wrote no file"
    finally:
        hive.run([f"DROP TABLE IF EXISTS {parquet_table}", f"DROP TABLE IF EXISTS {avro_table}"])


def test_impyla_through_impala_hook_queries_hiveserver2(hive: HiveServer2Hook) -> None:
    """ImpalaHook is impyla; Impala itself does not run here, so it talks to HiveServer2."""
    impala = ImpalaHook(impala_conn_id="impala_on_hiveserver2")
    assert impala.get_first("SELECT 40 + 2") == (42,)
    tables = {row[0] for row in impala.get_records("SHOW DATABASES")}
    assert "default" in tables
