-- The target database, created on first use.
CREATE DATABASE IF NOT EXISTS {{ database }}
