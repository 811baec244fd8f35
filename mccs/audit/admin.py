from django.contrib import admin

from mccs.audit.admin_readonly import ReadOnlyAdmin
from mccs.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_email", "actor_is_admin", "action", "object_type", "object_id", "ip")
    list_filter = ("actor_is_admin", "object_type", "action")
    search_fields = ("actor_email", "action", "object_id", "entity_id", "user_id")
    date_hierarchy = "at"
