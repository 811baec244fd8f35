"""URLs of the directory web pages (included by mccs/web/urls.py)."""

from django.urls import path

from mccs.web.views import directory

urlpatterns = [
    path("directory", directory.directory_search, name="directory"),
    path("directory/categories", directory.categories, name="directory_categories"),
    path("directory/suggestions", directory.tag_suggestions, name="directory_suggestions"),
    path("directory/matches", directory.matches, name="directory_matches"),
    path("directory/matches/panel", directory.matches_panel, name="directory_matches_panel"),
    path("directory/entities/<uuid:entity_id>", directory.entity_detail, name="directory_entity"),
    path(
        "directory/entities/<uuid:entity_id>/favorite", directory.favorite_toggle, name="directory_favorite"
    ),
    path("directory/entities/<uuid:entity_id>/contact", directory.contact_send, name="directory_contact"),
]
