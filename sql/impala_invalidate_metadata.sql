-- Needed for new tables and new columns: REFRESH does not see schema changes.
INVALIDATE METADATA {{ table }}
