"""The operator test world (a real app on a SQLite file, a cooperative holding lot XOAI-T01, a
packer, a regulator) for the field app's endpoints."""

from tests.operator.conftest import (  # noqa: F401  (fixtures)
    app_client,
    cast,
    client_factory,
    populated_template,
    runtime,
    settings,
)
