"""The audit log is append-only in the database itself, not only in the model."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from mccs.audit.models import AuditEntry
from mccs.audit.services import audit_record
from mccs.users.models import User


@pytest.fixture
def entry(db):
    user = User.objects.create_user("writer@example.org", "correct-horse-battery")
    audit_record(
        actor=user,
        action="user.update",
        object_type="user",
        object_id=user.pk,
        user_id=user.pk,
        changes={"first_name": ("", "Ann"), "password": ("x", "y")},
    )
    return AuditEntry.objects.get(action="user.update")  # as stored


def test_secrets_are_never_recorded(entry):
    assert entry.changes == {"first_name": ["", "Ann"]}


@pytest.mark.parametrize(
    "change",
    [
        lambda qs: qs.update(action="user.login"),
        lambda qs: qs.update(changes={}),
        lambda qs: qs.update(actor_email="someone-else@example.org"),
        lambda qs: qs.delete(),
    ],
)
def test_database_refuses_to_change_or_delete_entries(entry, change):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        change(AuditEntry.objects.filter(pk=entry.pk))
    entry.refresh_from_db()
    assert entry.action == "user.update" and entry.changes == {"first_name": ["", "Ann"]}


def test_raw_sql_is_refused_too(entry):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditentry")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_model_methods_refuse(entry):
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()


def test_deleting_the_actor_keeps_the_entry_and_its_email(entry):
    User.objects.filter(email="writer@example.org").delete()
    entry.refresh_from_db()
    assert entry.actor_id is None
    assert entry.actor_email == "writer@example.org"
    assert entry.changes == {"first_name": ["", "Ann"]}


@pytest.mark.django_db(transaction=True)
def test_flush_is_the_one_way_to_wipe_it():
    audit_record(actor=None, actor_email="x@example.org", action="user.login_failed", object_type="user")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.all().delete()
    call_command("flush", verbosity=0, interactive=False)
    assert AuditEntry.objects.count() == 0
    audit_record(actor=None, actor_email="x@example.org", action="user.login_failed", object_type="user")
    with pytest.raises(DatabaseError), transaction.atomic():  # and the lock is back afterwards
        AuditEntry.objects.all().delete()
