-- Columns of an existing target table, to compare with a batch's planned columns.
DESCRIBE {{ table }}
