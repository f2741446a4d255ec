-- New files in a known partition: far cheaper than a table-wide refresh.
REFRESH {{ table }} PARTITION ({{ partition_spec }})
