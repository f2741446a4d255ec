-- Whether a table exists (an empty answer: it does not).
SHOW TABLES IN {{ database }} LIKE {{ pattern }}
