-- Whether a table exists. LIKE treats `_` as a wildcard (`ab_cd` matches `ab1cd`): the caller
-- keeps exact matches only.
SHOW TABLES IN {{ database }} LIKE {{ pattern }}
