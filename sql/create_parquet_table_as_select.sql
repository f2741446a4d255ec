-- One-shot Parquet copy of the temporary Avro table, with the converted select list.
CREATE EXTERNAL TABLE {{ table }}
STORED AS PARQUET
LOCATION {{ location }}
AS SELECT {{ select_list }}
FROM {{ source }}
