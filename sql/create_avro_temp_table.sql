-- Temporary table over one claimed Avro file's folder. Hive derives the columns from the
-- schema file (avro.schema.url), so nothing here depends on our type prediction.
-- external.table.purge=false: dropping the temporary table must never delete the source data.
CREATE EXTERNAL TABLE {{ table }}
STORED AS AVRO
LOCATION {{ location }}
TBLPROPERTIES ('avro.schema.url'={{ schema_url }}, 'external.table.purge'='false')
