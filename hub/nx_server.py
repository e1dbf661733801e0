"""Launch the embedded nx-27017 server with a fix for its SQL update tier.

nx-27017 0.8.1 (neosqlite 1.17) binds the values of `$set`, `$push`, `$min`/`$max` and
`find_one_and_update` straight into SQLite's json_set: a datetime becomes the text
'2026-11-26 03:47:08.349000' and a pushed sub-document becomes a JSON string, so the next read
returns strings where MongoDB returns dates and documents. Its Python tier applies the same
updates correctly (under the per-database lock, so atomically); this routes every update whose
values are not plain scalars there. Updates of plain scalars (the `$inc` of a ticket counter)
keep the SQL tier.

It also shortens the interpreter's thread switch interval (see `main`).

Run as `python -m hub.nx_server <nx-27017 arguments>`.
"""

from __future__ import annotations

import datetime
import sys
from typing import Any

from neosqlite.collection.query_helper import _sql_updates

_sql_tier_check = _sql_updates.SqlUpdatesMixin._can_use_sql_updates


def _scalar(value: object) -> bool:
    return not isinstance(value, datetime.date | dict | list | tuple)


def _can_use_sql_updates(
    self: Any, update_spec: dict[str, Any], doc_id: int, original_doc: dict[str, Any] | None = None
) -> bool:
    for operand in update_spec.values():
        if isinstance(operand, dict) and not all(_scalar(v) for v in operand.values()):
            return False
    result: bool = _sql_tier_check(self, update_spec, doc_id, original_doc)
    return result


def main() -> None:
    _sql_updates.SqlUpdatesMixin._can_use_sql_updates = _can_use_sql_updates
    # nx-27017 runs every command in a worker thread while its event loop reads the sockets:
    # with the default 5 ms GIL switch interval a reply can wait whole intervals for its turn.
    sys.setswitchinterval(0.0005)
    from nx_27017.nx_27017 import main as nx_main

    nx_main()


if __name__ == "__main__":
    main()
