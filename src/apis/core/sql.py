"""Multi-row ``INSERT … ON CONFLICT`` statements, portable between SQLite and PostgreSQL.

Django's ``bulk_create`` cannot add a ``WHERE`` to the conflict update nor tell how many rows were new;
the telemetry stores need both. Values are prepared by the model fields themselves, so JSON and
datetimes are adapted exactly as the ORM would.
"""

from collections.abc import Sequence

from django.db import connection, models


def _prepared(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence]) -> list:
    fields = [model._meta.get_field(column) for column in columns]
    params = []
    for row in rows:
        params.extend(
            field.get_db_prep_save(value, connection) for field, value in zip(fields, row, strict=True)
        )
    return params


def insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence],
    conflict: Sequence[str] = (),
    update: Sequence[str] = (),
    update_where: str = "",
) -> int:
    """Insert ``rows``; on a conflict on ``conflict`` do nothing, or update ``update`` columns from the
    new row when ``update_where`` (SQL over ``{table}`` and ``excluded``) holds; no ``conflict``: a plain
    INSERT. Returns rows written."""
    if not rows:
        return 0
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)

    def column(name: str) -> str:
        return quote(model._meta.get_field(name).column)

    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sql = f"INSERT INTO {table} ({', '.join(map(column, columns))}) VALUES " + ", ".join(
        [placeholder] * len(rows)
    )
    if conflict:
        sql += f" ON CONFLICT ({', '.join(map(column, conflict))}) "
        if update:
            assignments = ", ".join(f"{column(c)} = excluded.{column(c)}" for c in update)
            sql += f"DO UPDATE SET {assignments}"
            if update_where:
                sql += " WHERE " + update_where.format(table=table)
        else:
            sql += "DO NOTHING"
    with connection.cursor() as cursor:
        cursor.execute(sql, _prepared(model, columns, rows))
        return cursor.rowcount


def append_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence]) -> int:
    """Append ``rows`` as fast as the database allows: ``COPY`` on PostgreSQL, multi-row INSERTs otherwise."""
    if connection.vendor != "postgresql":
        return sum(
            insert_rows(model, columns, rows[start : start + 500]) for start in range(0, len(rows), 500)
        )
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
