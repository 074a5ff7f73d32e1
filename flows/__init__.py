"""Prefect flows: the procedure, orchestrating the tasks of `tasks/`. A worker process that
runs them may need a key kept in a Prefect Secret block: it can read it once imported."""

from deployments import secrets

secrets.install()
