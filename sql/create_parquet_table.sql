-- Target table with explicit Parquet column types, partitioned; created once, then filled
-- partition by partition with insert_overwrite_partition.sql.
CREATE EXTERNAL TABLE IF NOT EXISTS {{ table }} (
{{ columns }}
)
PARTITIONED BY ({{ partition_columns }})
STORED AS PARQUET
LOCATION {{ location }}
