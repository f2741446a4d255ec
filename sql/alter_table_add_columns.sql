-- Schema evolution: new fields of a later schema become new columns at the end, so readers
-- that match Parquet columns by position (Impala's default) stay correct. CASCADE updates the
-- existing partitions' metadata too.
ALTER TABLE {{ table }} ADD COLUMNS ({{ columns }}) CASCADE
