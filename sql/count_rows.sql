-- Row count of a table, to compare with the Avro record count.
SELECT COUNT(*) FROM {{ table }}
