-- The partitions of a target table: none means no batch was ever published into it.
SHOW PARTITIONS {{ table }}
