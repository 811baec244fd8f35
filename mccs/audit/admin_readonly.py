"""A view-only ModelAdmin: Django's admin site may show data, but every change goes through the services (and so
into the audit log) via the pages at /admin/ or the admin API."""

from __future__ import annotations

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
