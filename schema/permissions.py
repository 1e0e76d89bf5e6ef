"""Permissions are declared on fields; a refusal is a GraphQL error with code FORBIDDEN."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.permission import BasePermission

from domain.access import may_export_and_erase
from domain.audit import may_read_audit_log
from domain.tokens import may_manage_tokens
from domain.users import Role, may_list_users
from domain.webhooks import may_manage_webhooks


class CanWriteCustomers(BasePermission):
    message = "your role may not change customers"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return info.context.viewer.may_write_customers


class CanListUsers(BasePermission):
    message = "your role may not list users"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return may_list_users(info.context.viewer)


class CanReadDossiers(BasePermission):
    message = "your role may not read key-account dossiers"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return info.context.viewer.role is not Role.PARTNER


class CanKeepDossiers(BasePermission):
    message = "your role may not change key-account dossiers"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return info.context.viewer.role in (Role.ADMIN, Role.ACCOUNT_MANAGER)


class CanReadAuditLog(BasePermission):
    message = "your role may not read the audit log"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return may_read_audit_log(info.context.viewer)


class CanManageTokens(BasePermission):
    message = "your role may not manage tokens"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return may_manage_tokens(info.context.viewer)


class CanExportAndErase(BasePermission):
    message = "only an ADMIN may export or erase a customer's data"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return may_export_and_erase(info.context.viewer)


class CanManageWebhooks(BasePermission):
    message = "your role may not manage webhooks"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return may_manage_webhooks(info.context.viewer)
