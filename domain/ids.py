"""Local ids: what names a record inside the service (24 lowercase hex digits). Clients
only ever see global ids, which name the record's type too (schema/node.py)."""

from __future__ import annotations

import re

_LOCAL_ID = re.compile(r"^[0-9a-f]{24}$")


def is_local_id(value: str) -> bool:
    return _LOCAL_ID.match(value) is not None
