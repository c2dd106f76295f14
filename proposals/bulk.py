"""Fast bulk inserts for imports: one prepared INSERT run with ``executemany``.

``QuerySet.bulk_create`` compiles SQL for every batch of ~50 rows on SQLite (its parameter
limit), which dominated a 50,000-row import. Here the statement is built once from the model's
metadata, each value still goes through its field's ``get_db_prep_save`` (so JSON, decimals
and dates are stored exactly as the ORM stores them), and the driver runs the batch.
No signals, no ``save()``: use it only for plain rows an importer has fully validated.
"""

from collections.abc import Iterable
from itertools import batched

from django.db import connection


def insert_rows(model, field_names: list[str], rows: Iterable[tuple], batch_size: int = 2000) -> int:
    meta = model._meta
    fields = [meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)),
    )
    prepare = [field.get_db_prep_save for field in fields]
    count = 0
    with connection.cursor() as cursor:
        for batch in batched(rows, batch_size):
            cursor.executemany(
                sql,
                [
                    tuple(prep(value, connection) for prep, value in zip(prepare, row, strict=True))
                    for row in batch
                ],
            )
            count += len(batch)
    return count
