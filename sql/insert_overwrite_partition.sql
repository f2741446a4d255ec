-- Replaces the partition as a whole, so a retried load does not duplicate rows.
INSERT OVERWRITE TABLE {{ table }} PARTITION ({{ partition_spec }})
SELECT {{ select_list }}
FROM {{ source }}
