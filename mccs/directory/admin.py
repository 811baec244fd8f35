from django.contrib import admin

from mccs.audit.admin_readonly import ReadOnlyAdmin
from mccs.directory.models import Category, Entity, Synonym, Tag


@admin.register(Entity)
class EntityAdmin(ReadOnlyAdmin):
    """Edit entities at /admin/entities, where status, categories and limits go through the services."""

    list_display = ("name", "email", "status", "city", "member_started_at", "created_at")
    list_filter = ("status",)
    search_fields = ("name", "email", "city")


@admin.register(Category)
class CategoryAdmin(ReadOnlyAdmin):
    search_fields = ("name",)


@admin.register(Tag)
class TagAdmin(ReadOnlyAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)


@admin.register(Synonym)
class SynonymAdmin(ReadOnlyAdmin):
    """Change synonyms at /admin/synonyms, where every change goes through the services and is audited."""

    list_display = ("word", "group")
    search_fields = ("word",)
