"""A task's settings, read from its run's Params. Settings that break the form's rules fail
the task at once, naming the setting: a retry would read the same values."""

from __future__ import annotations

from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from avro_ingest.config import IngestConfig, config_from_params
from avro_ingest.settings import read_form


def config_of(context: Any) -> IngestConfig:
    try:
        return config_from_params(dict(context["params"]))
    except ValueError as refused:
        raise AirflowFailException(f"settings refused: {refused}") from refused


def form_of(context: Any) -> dict[str, Any]:
    try:
        return read_form(dict(context["params"]))
    except ValueError as refused:
        raise AirflowFailException(f"settings refused: {refused}") from refused
