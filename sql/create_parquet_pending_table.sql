-- A batch's Parquet output, written where the target table does not look yet: the directory
-- that becomes the batch's partition once its rows are verified (add_partition.sql).
-- external.table.purge=false: dropping this table must never delete the verified output.
CREATE EXTERNAL TABLE {{ table }} (
{{ columns }}
)
STORED AS PARQUET
LOCATION {{ location }}
TBLPROPERTIES ('external.table.purge'='false')
