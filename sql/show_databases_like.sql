-- Whether a database exists. LIKE treats `_` as a wildcard: the caller keeps exact matches.
SHOW DATABASES LIKE {{ pattern }}
