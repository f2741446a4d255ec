"""Readiness check for the local stack: HiveServer2 is ready when it answers a real query.

An open port is not enough: HiveServer2 opens 10000 before its metastore and session manager
can run a statement.
"""

from __future__ import annotations

import argparse
import sys

from impala.dbapi import connect

# Server-side mode -> impyla's name for the matching client mechanism.
CLIENT_MECHANISM = {"NOSASL": "NOSASL", "NONE": "PLAIN"}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="localhost")
    parser.add_argument("--port", type=int, default=10000)
    parser.add_argument("--auth", default="NOSASL", choices=sorted(CLIENT_MECHANISM))
    args = parser.parse_args()
    conn = connect(
        host=args.host,
        port=args.port,
        auth_mechanism=CLIENT_MECHANISM[args.auth],
        user="hive",
        timeout=10,
    )
    try:
        cursor = conn.cursor()
        cursor.execute("SELECT 1")
        row = cursor.fetchone()
    finally:
        conn.close()
    if row is None or row[0] != 1:
        print(f"unexpected answer to SELECT 1: {row!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
