"""Predicates (django-rules) for what a person may do with a record.

Services call them for every write, whoever the caller is; views and serializers
use the same predicates to decide what to show. ``None`` as the user means the
system itself (jobs, migrations) and is always allowed.
"""

from __future__ import annotations

import rules

from . import access
from .choices import Role


@rules.predicate
def can_view_record(user, record) -> bool:
    if record.organization_id not in access.scope_organization_ids(user):
        return False
    if not record.customers_may_view and not access.is_provider_staff(user):
        return False
    return (access.sees_all_records_of_organization(user) or record.requester_id == user.pk
            or record.shared_with(user))


@rules.predicate
def can_add_record(user) -> bool:
    return access.is_staff_writer(user) or access.is_customer(user)


@rules.predicate
def is_requester_side(user, record) -> bool:
    if record.requester_id == user.pk:
        return True
    org = access.organization_of(user)
    return (
        access.has_role(user, Role.CUSTOMER_ADMIN)
        and org is not None
        and record.organization_id == org.pk
    )


@rules.predicate
def is_staff_writer(user) -> bool:
    return access.is_staff_writer(user)


@rules.predicate
def handles_record_type(user, record) -> bool:
    """Staff who may work on this type of record (``Record.handler_roles``; empty: all)."""
    return not record.handler_roles or bool(access.roles_of(user) & record.handler_roles)


@rules.predicate
def record_in_initial_status(user, record) -> bool:
    return record.status == record.workflow.initial


@rules.predicate
def is_administrator(user) -> bool:
    return access.is_provider_staff(user) and access.has_role(user, Role.ADMINISTRATOR)


@rules.predicate
def is_read_only(user) -> bool:
    return access.is_read_only(user)


can_change_record = can_view_record & (
    (is_staff_writer & handles_record_type) | (is_requester_side & record_in_initial_status)
)
can_comment_record = can_view_record & ~is_read_only
can_write_internal = can_view_record & is_staff_writer
can_delete_record = can_view_record & is_administrator
can_manage_master_data = is_administrator
can_read_audit_log = rules.predicate(
    lambda user: access.is_provider_staff(user)
    and access.has_role(user, Role.AUDITOR, Role.ADMINISTRATOR)
)
