-- A table's properties, as (key, value) rows.
SHOW TBLPROPERTIES {{ table }}
