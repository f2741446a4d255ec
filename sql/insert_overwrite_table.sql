-- Converts the batch's Avro rows into its pending Parquet table; a retry replaces them.
INSERT OVERWRITE TABLE {{ table }}
SELECT {{ select_list }}
FROM {{ source }}
