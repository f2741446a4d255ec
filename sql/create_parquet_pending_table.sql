-- A batch's Parquet output, written where the target table does not look yet: the directory
-- that becomes the batch's partition once its rows are verified (add_partition.sql).
-- external.table.purge=false: dropping this table must never delete the verified output.
-- parquet.compression as a table property, not a session SET: a HiveServer2 with SQL standard
-- authorization refuses `SET parquet.compression` (not in its default whitelist).
CREATE EXTERNAL TABLE {{ table }} (
{{ columns }}
)
STORED AS PARQUET
LOCATION {{ location }}
TBLPROPERTIES ('external.table.purge'='false', 'parquet.compression'='SNAPPY')
