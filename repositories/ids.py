"""Document ids: ObjectIds in the database, their hex strings everywhere else."""

from __future__ import annotations

from bson import ObjectId
from bson.errors import InvalidId


def to_object_id(value: str) -> ObjectId | None:
    """The ObjectId for a hex string, or None when it cannot be one (so: not found)."""
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None
