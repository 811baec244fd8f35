from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """One write by a member, an administrator or the system. Append-only: never updated, never deleted.

    ``changes`` maps each changed field to ``[before, after]`` (never a password or a token).
    """

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_email = models.CharField(max_length=254, blank=True)
    actor_is_admin = models.BooleanField(default=False)
    ip = models.CharField(max_length=45, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=40, db_index=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    entity_id = models.CharField(max_length=64, blank=True, db_index=True)
    user_id = models.CharField(max_length=64, blank=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Audit entries are append-only.")
