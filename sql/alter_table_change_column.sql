-- Schema evolution: a column widened as Avro's resolution allows (int to bigint, float to
-- double). CASCADE changes the existing partitions' metadata too; their Parquet files keep
-- the narrower type, which Hive reads as the wider one.
ALTER TABLE {{ table }} CHANGE COLUMN {{ column }} {{ column }} {{ type }} CASCADE
