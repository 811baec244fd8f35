"""The entity's member-editable fields, declared once: model name, API name, labels, kind and length.

Everything that lists these fields derives from ``ENTITY_FIELDS``: what a member may change and how errors name a
field (``directory/services.py``), the API's sign-up, patch and output schemas and the public view of an entity
(``api/entities.py``), and the web forms of members and administrators with their initial values. A new field is
added here (and to the model), and appears everywhere at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from django.db import models
from django.utils.translation import gettext_lazy

from mccs.directory.models import Entity

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class EntityField:
    name: str  # the model's field ("offers" and "wants" are the entity's tags)
    api_name: str  # the alpha spec's name in API bodies and answers
    kind: type  # str, int, bool or list (of tag names)
    form_label: StrOrPromise  # the label of the web forms' input
    # How a refusal names the field ("The city must be text."); without one, by its name.
    label: StrOrPromise | None = None
    signup_name: str | None = None  # the sign-up body's name, where it differs from ``api_name``

    @property
    def max_length(self) -> int | None:
        """The model's limit, which the services enforce and the web forms repeat in the input."""
        if self.kind is not str:
            return None
        return cast(models.Field, Entity._meta.get_field(self.name)).max_length  # a concrete field


ENTITY_FIELDS: tuple[EntityField, ...] = (
    EntityField(
        "name", "name", str, gettext_lazy("Name"), gettext_lazy("entity name"), signup_name="entityName"
    ),
    EntityField(
        "email", "email", str, gettext_lazy("Email"), gettext_lazy("entity email"), signup_name="entityEmail"
    ),
    EntityField(
        "telephone",
        "telephone",
        str,
        gettext_lazy("Telephone"),
        gettext_lazy("telephone"),
        signup_name="entityPhone",
    ),
    EntityField(
        "inc_type", "incType", str, gettext_lazy("Incorporation type"), gettext_lazy("incorporation type")
    ),
    EntityField(
        "company_number", "companyNumber", str, gettext_lazy("Company number"), gettext_lazy("company number")
    ),
    EntityField("website", "website", str, gettext_lazy("Website"), gettext_lazy("website")),
    EntityField(
        "declared_turnover",
        "declaredTurnover",
        int,
        gettext_lazy("Declared turnover"),
        gettext_lazy("declared turnover"),
    ),
    EntityField("description", "description", str, gettext_lazy("Description"), gettext_lazy("description")),
    EntityField("address", "address", str, gettext_lazy("Address"), gettext_lazy("address")),
    EntityField("city", "city", str, gettext_lazy("City"), gettext_lazy("city")),
    EntityField("region", "region", str, gettext_lazy("Region"), gettext_lazy("region")),
    EntityField("postal_code", "postalCode", str, gettext_lazy("Postal code"), gettext_lazy("postal code")),
    EntityField("country", "country", str, gettext_lazy("Country"), gettext_lazy("country")),
    EntityField(
        "show_tags_matched_since_last_login",
        "showTagsMatchedSinceLastLogin",
        bool,
        gettext_lazy("Show matches since my last login"),
    ),
    EntityField(
        "receive_daily_match_notification_email",
        "receiveDailyMatchNotificationEmail",
        bool,
        gettext_lazy("Email me a daily summary of new matches"),
    ),
    EntityField("offers", "offers", list, gettext_lazy("Offers")),
    EntityField("wants", "wants", list, gettext_lazy("Wants")),
)
ENTITY_FIELD = {field.name: field for field in ENTITY_FIELDS}
TAG_FIELDS = ("offers", "wants")
# Fields a member may change on their own entity besides offers and wants (status, categories and limits belong to
# administrators).
MEMBER_EDITABLE_FIELDS = tuple(field.name for field in ENTITY_FIELDS if field.name not in TAG_FIELDS)
