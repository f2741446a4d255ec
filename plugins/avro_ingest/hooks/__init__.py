"""Airflow hooks: the only code of avro_ingest that talks to a service."""
