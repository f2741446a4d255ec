-- Row count of one partition, to compare with the Avro record count of the files loaded.
SELECT COUNT(*) FROM {{ table }} WHERE {{ partition_predicate }}
