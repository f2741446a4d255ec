"""avro_ingest: Avro files on HDFS to Parquet tables through Hive, visible in Impala.

The modules at this level are the Airflow-free core (plain functions and frozen dataclasses);
Airflow classes live at the edge and call into them.
"""
