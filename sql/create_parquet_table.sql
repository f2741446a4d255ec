-- Target table with explicit Parquet column types, partitioned; created once, then filled
-- by adding partitions (add_partition.sql) whose directories a pending table filled.
CREATE EXTERNAL TABLE IF NOT EXISTS {{ table }} (
{{ columns }}
)
PARTITIONED BY ({{ partition_columns }})
STORED AS PARQUET
LOCATION {{ location }}
-- Snappy for anything else that writes into it, as for the batches' output.
TBLPROPERTIES ('parquet.compression'='SNAPPY')
