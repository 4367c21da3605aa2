"""Multi-row ``INSERT … ON CONFLICT`` statements, portable between SQLite and PostgreSQL.

Django's ``bulk_create`` cannot add a ``WHERE`` to the conflict update nor tell how many rows were new;
the telemetry stores need both. Values are prepared by the model fields themselves, so JSON and
datetimes are adapted exactly as the ORM would.
"""

from collections.abc import Sequence

from django.db import DEFAULT_DB_ALIAS, connection, connections, models


def _prepared(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence]) -> list:
    # The connection itself: the ``connection`` proxy would look it up again (a context-local read) on
    # every attribute access the fields make, which took as long as the rest of the preparation.
    database = connections[DEFAULT_DB_ALIAS]
    fields = [model._meta.get_field(column) for column in columns]
    params = []
    for row in rows:
        params.extend(
            field.get_db_prep_save(value, database) for field, value in zip(fields, row, strict=True)
        )
    return params


# Rows per INSERT statement: well under SQLite's limit of bound parameters.
ROWS_PER_STATEMENT = 500


def insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence],
    conflict: Sequence[str] = (),
    update: Sequence[str] = (),
    update_where: str = "",
) -> int:
    """Insert ``rows`` with multi-row INSERTs of at most ``ROWS_PER_STATEMENT`` rows; on a conflict on
    ``conflict`` do nothing, or update ``update`` columns from the new row when ``update_where`` (SQL over
    ``{table}`` and ``excluded``) holds; no ``conflict``: plain INSERTs. Returns rows written.

    Several statements are atomic only inside the caller's transaction."""
    if not rows:
        return 0
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)

    def column(name: str) -> str:
        return quote(model._meta.get_field(name).column)

    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    suffix = ""
    if conflict:
        suffix = f" ON CONFLICT ({', '.join(map(column, conflict))}) "
        if update:
            assignments = ", ".join(f"{column(c)} = excluded.{column(c)}" for c in update)
            suffix += f"DO UPDATE SET {assignments}"
            if update_where:
                suffix += " WHERE " + update_where.format(table=table)
        else:
            suffix += "DO NOTHING"
    head = f"INSERT INTO {table} ({', '.join(map(column, columns))}) VALUES "
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            batch = rows[start : start + ROWS_PER_STATEMENT]
            cursor.execute(
                head + ", ".join([placeholder] * len(batch)) + suffix, _prepared(model, columns, batch)
            )
            written += cursor.rowcount
    return written


def append_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence]) -> int:
    """Append ``rows`` as fast as the database allows: ``COPY`` on PostgreSQL, multi-row INSERTs otherwise."""
    if connection.vendor != "postgresql":
        return insert_rows(model, columns, rows)
    quote = connection.ops.quote_name
    names = ", ".join(quote(model._meta.get_field(column).column) for column in columns)
    statement = f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN"
    # The raw psycopg cursor raises psycopg's errors: translate them into Django's like every other query.
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.cursor.copy(statement) as copy,
    ):
        for row in rows:
            copy.write_row(row)
    return len(rows)
