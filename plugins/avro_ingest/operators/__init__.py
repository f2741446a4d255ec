"""Airflow operators: thin wrappers, each calling one function of avro_ingest.pipeline."""
