-- Keeps the planner's statistics current for the partition just loaded.
COMPUTE INCREMENTAL STATS {{ table }} PARTITION ({{ partition_spec }})
