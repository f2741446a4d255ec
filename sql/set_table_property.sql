-- What the pipeline keeps about a table beyond its columns: the fields that were nullable in
-- any schema it loaded (a field made required later, with no default, is a conflict).
ALTER TABLE {{ table }} SET TBLPROPERTIES ({{ key }} = {{ value }})
