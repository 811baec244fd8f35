"""URLs of the admin web pages (included by mccs/web/urls.py). Django's own admin site is at /django-admin/."""

from django.urls import path

from mccs.web.views import admin, admin_emails, admin_federation, admin_synonyms, overview

urlpatterns = [
    path("admin/", admin.dashboard, name="admin_dashboard"),
    path("admin/overview", overview.overview, name="admin_overview"),
    path("admin/entities", admin.entity_list, name="admin_entities"),
    path("admin/entities/<str:entity_id>", admin.entity_detail, name="admin_entity"),
    path("admin/entities/<str:entity_id>/decide", admin.entity_decide, name="admin_entity_decide"),
    path("admin/entities/<str:entity_id>/delete", admin.entity_delete, name="admin_entity_delete"),
    path("admin/users", admin.user_list, name="admin_users"),
    path("admin/users/<str:user_id>", admin.user_detail, name="admin_user"),
    path("admin/users/<str:user_id>/delete", admin.user_delete, name="admin_user_delete"),
    path("admin/categories", admin.curation_list, {"kind": "categories"}, name="admin_categories"),
    path(
        "admin/categories/<str:item_id>", admin.curation_change, {"kind": "categories"}, name="admin_category"
    ),
    path("admin/tags", admin.curation_list, {"kind": "tags"}, name="admin_tags"),
    path("admin/tags/<str:item_id>", admin.curation_change, {"kind": "tags"}, name="admin_tag"),
    path("admin/synonyms", admin_synonyms.synonym_list, name="admin_synonyms"),
    path("admin/synonyms/<str:group_id>", admin_synonyms.synonym_change, name="admin_synonym"),
    path("admin/transfers", admin.transfer_list_view, name="admin_transfers"),
    path("admin/transfers/<str:transfer_id>/cancel", admin.transfer_cancel, name="admin_transfer_cancel"),
    path("admin/logs", admin.log_list, name="admin_logs"),
    path("admin/emails", admin_emails.emails, name="admin_emails"),
    path("admin/emails/<int:email_id>/retry", admin_emails.email_retry, name="admin_email_retry"),
    path("admin/federation", admin_federation.federation, name="admin_federation"),
    path("admin/federation/sharing", admin_federation.federation_sharing, name="admin_federation_sharing"),
    path("admin/federation/init", admin_federation.federation_init, name="admin_federation_init"),
    path("admin/federation/neighbours", admin_federation.neighbour_add, name="admin_neighbour_add"),
    path(
        "admin/federation/neighbours/<str:name>/limits",
        admin_federation.neighbour_limits,
        name="admin_neighbour_limits",
    ),
    path(
        "admin/federation/neighbours/<str:name>/reconcile",
        admin_federation.neighbour_reconcile,
        name="admin_neighbour_reconcile",
    ),
]
