-- Publishes a verified batch: its Parquet directory becomes the batch's own partition.
-- IF NOT EXISTS: a retry, or a run rolling a committed batch forward, changes nothing.
ALTER TABLE {{ table }} ADD IF NOT EXISTS PARTITION ({{ partition_spec }}) LOCATION {{ location }}
