"""Permissions are declared on fields; a refusal is a GraphQL error with code FORBIDDEN."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.permission import BasePermission


class CanWriteCustomers(BasePermission):
    message = "your role may not change customers"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return info.context.viewer.may_write_customers
