"""Whether a failure means the database cannot be reached (gone, frozen, failing over),
as opposed to a bug: clients get 503 and may retry, instead of a masked 500."""

from __future__ import annotations

from pymongo.errors import ConnectionFailure, PyMongoError


def database_unavailable(error: BaseException | None) -> bool:
    if isinstance(error, ConnectionFailure):  # includes server selection and network timeouts
        return True
    return isinstance(error, PyMongoError) and error.timeout  # an operation's deadline (timeoutMS)
