"""Alembic environment for medstay.

Used by ``models.db.migrate()`` (which passes an open connection in
``config.attributes["connection"]``) and by developers through
``alembic -c models/migrations/alembic.ini ...`` (URL from
``config.attributes["url"]``, ``sqlalchemy.url`` or medstay's settings).
"""

from logging.config import fileConfig
from typing import Any, Literal

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table on SQLModel.metadata)
from models.db import create_db_engine
from models.settings import get_settings

config = context.config
if config.config_file_name is not None and "connection" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
target_metadata = SQLModel.metadata


def _url() -> str:
    return config.attributes.get("url") or config.get_main_option("sqlalchemy.url") or get_settings().database_url


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render medstay's column types as plain, portable SQLAlchemy types.

    Revisions then never import application code: EncryptedString is stored as
    Text, AwareDateTime as DateTime(timezone=True), SQLModel's AutoString as String.
    """
    if type_ != "type":
        return False
    from sqlmodel.sql.sqltypes import AutoString

    from models.crypto import EncryptedString
    from models.types import AwareDateTime

    if isinstance(obj, EncryptedString):
        return "sa.Text()"
    if isinstance(obj, AwareDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        render_item=render_item,
        **kwargs,
    )


def run_migrations_offline() -> None:
    url = _url()
    _configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_db_engine(_url(), migrating=True)
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
