from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class EntityStatus(models.TextChoices):
    PENDING = "pending"
    REJECTED = "rejected"
    ACCEPTED = "accepted"
    TRADING_PENDING = "tradingPending"
    TRADING_REJECTED = "tradingRejected"
    TRADING_ACCEPTED = "tradingAccepted"


# Statuses that appear in the directory and may contact other entities.
LISTED_STATUSES = frozenset(
    {
        EntityStatus.ACCEPTED,
        EntityStatus.TRADING_PENDING,
        EntityStatus.TRADING_REJECTED,
        EntityStatus.TRADING_ACCEPTED,
    }
)


class IncType(models.TextChoices):
    PLC = "plc"
    LTD = "ltd"
    GUAR = "guar"
    UNLTD = "unltd"
    LLP = "llp"
    CIC = "cic"
    IPS = "ips"
    SOLE = "sole"


class Category(models.Model):
    """A directory heading curated by administrators ("restaurants", "transport")."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """A normalised offer/want word used by at least one entity, or created by an administrator."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=50, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Entity(models.Model):
    """A business, organisation or person that owns a mutual credit account and appears in the directory."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="entities", blank=True)
    name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    telephone = models.CharField(max_length=25, blank=True)
    inc_type = models.CharField(max_length=10, choices=IncType.choices, blank=True)
    company_number = models.CharField(max_length=20, blank=True)
    website = models.CharField(max_length=255, blank=True)
    declared_turnover = models.PositiveBigIntegerField(null=True, blank=True)
    description = models.TextField(max_length=500, blank=True)
    address = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        max_length=20, choices=EntityStatus.choices, default=EntityStatus.PENDING, db_index=True
    )
    show_tags_matched_since_last_login = models.BooleanField(default=False)
    receive_daily_match_notification_email = models.BooleanField(default=False)
    categories = models.ManyToManyField(Category, related_name="entities", blank=True)
    favorites = models.ManyToManyField("self", symmetrical=False, related_name="favorited_by", blank=True)
    member_started_at = models.DateTimeField(null=True, blank=True)
    # End of the window the last daily match digest covered; the next digest starts there, so no match is sent
    # twice (see mccs/directory/digest.py).
    last_match_digest_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "entities"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in EntityStatus]), name="entity_status_valid"
            ),
        ]
        # Lets a directory search read status and name for thousands of matched ids from the index alone.
        indexes = [models.Index(fields=["id", "status", "name"], name="entity_directory_cover")]

    def __str__(self) -> str:
        return self.name or self.email or str(self.id)

    @property
    def is_listed(self) -> bool:
        return self.status in LISTED_STATUSES

    @property
    def can_trade(self) -> bool:
        return self.status == EntityStatus.TRADING_ACCEPTED

    # Set by ``search.entities_in_order(..., names_only=True)`` for a page that is only shown: the tag names by
    # kind and the category names, read as plain rows instead of model instances. Not a field.
    preloaded_names: tuple[dict[str, list[str]], list[str]] | None = None

    def tag_names(self, kind: str) -> list[str]:
        if self.preloaded_names is not None:
            return list(self.preloaded_names[0].get(kind, ()))
        return [et.tag.name for et in self.entity_tags.all() if et.kind == kind]

    def category_names(self) -> list[str]:
        if self.preloaded_names is not None:
            return list(self.preloaded_names[1])
        return [c.name for c in self.categories.all()]

    @property
    def offers(self) -> list[str]:
        return self.tag_names(EntityTag.Kind.OFFER)

    @property
    def wants(self) -> list[str]:
        return self.tag_names(EntityTag.Kind.WANT)


class EntityTag(models.Model):
    """One offer or want of an entity; ``added_at`` is when this entity first listed it."""

    class Kind(models.TextChoices):
        OFFER = "offer"
        WANT = "want"

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="entity_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="entity_tags")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    added_at = models.DateTimeField()
    # Copies of the entity's "is listed" and lower-cased name, kept by database triggers (migration 0006) on every
    # write path, so that a broad tag search ranks and counts without joining each match to its entity (ADR 0022).
    listed = models.BooleanField(default=False, editable=False)
    sort_name = models.CharField(max_length=100, blank=True, default="", editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["entity", "kind", "tag"], name="entity_tag_unique")]
        indexes = [
            # Matched tag ids of listed entities (and a time window) → entity ids with their sort key: the whole
            # ranked directory search reads this index only, never the table.
            models.Index(
                fields=["kind", "tag", "listed", "added_at", "entity", "sort_name"],
                name="entitytag_listed_search",
            ),
            # Each matched tag's listed entities in name order: the first page of a search takes the best few of
            # each matched tag instead of sorting every match (ADR 0140).
            models.Index(fields=["kind", "tag", "listed", "sort_name", "entity"], name="entitytag_by_name"),
        ]


class ContactMessage(models.Model):
    """A message relayed by email from one entity to another. The body is not kept: this row exists for the
    per-member rate limit and the audit trail, and it records nothing the receiver did not choose to share."""

    sender_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sender_entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="sent_messages")
    # A local receiver, or (relayed to another node, ADR 0120) the id of a member of another node.
    receiver_entity = models.ForeignKey(
        Entity, on_delete=models.CASCADE, related_name="received_messages", null=True, blank=True
    )
    receiver_remote = models.UUIDField(null=True, blank=True)
    body_length = models.PositiveIntegerField()
    sent_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["sender_user", "sent_at"], name="contact_sender_sent")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(receiver_entity__isnull=False) | models.Q(receiver_remote__isnull=False),
                name="contact_has_receiver",
            )
        ]


# --- the network directory: this node's copy of what its neighbours share (mccs/directory/network.py, ADR 0120) ---


def _published(field: str) -> models.CharField:
    """A column of the network directory that copies ``Entity.<field>`` as another node published it: as long as
    the field it copies, so what fits a member's entity fits its copy, and empty where the node left it out."""
    copied = Entity._meta.get_field(field)
    assert isinstance(copied, models.CharField)
    return models.CharField(max_length=copied.max_length, blank=True)


class RemoteEntity(models.Model):
    """A listed entity of another node, as a neighbour shared it. ``id`` is the entity's id on its own node;
    ``via`` names the neighbour it came through (a node is reached through exactly one neighbour in a tree);
    ``node`` is its node's absolute path (``t/b2``) and ``account_path`` the Credit Commons path that pays it.
    Rows only ever hold what a node publishes: never an email, a telephone number or an address."""

    id = models.UUIDField(primary_key=True)
    via = models.CharField(max_length=50, db_index=True)
    node = models.CharField(max_length=255)
    account_path = models.CharField(max_length=320, blank=True)
    name = _published("name")
    status = _published("status")
    city = _published("city")
    region = _published("region")
    country = _published("country")
    offers = models.JSONField(default=list)
    wants = models.JSONField(default=list)
    categories = models.JSONField(default=list)
    # "|restaurants|transport|": lower-cased category names, for the category filter without a join.
    category_key = models.CharField(max_length=2000, blank=True, default="")
    sort_name = models.CharField(max_length=100, blank=True, default="")
    digest = models.CharField(max_length=32)
    copied_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["sort_name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.node})"

    is_remote = True

    @property
    def can_trade(self) -> bool:
        return self.status == EntityStatus.TRADING_ACCEPTED


class RemoteEntityTag(models.Model):
    """One offer or want of a remote entity, on the same tag vocabulary as local ones, so one tag match serves
    both searches (ADR 0120). ``added_at`` is when this node first saw it (for "new since" matches)."""

    entity = models.ForeignKey(RemoteEntity, on_delete=models.CASCADE, related_name="remote_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="remote_entity_tags")
    kind = models.CharField(max_length=5, choices=EntityTag.Kind.choices)
    added_at = models.DateTimeField()
    sort_name = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "kind", "tag"], name="remote_entity_tag_unique")
        ]
        indexes = [
            # Matched tag ids → remote entity ids with their sort key, from the index alone (like entitytag_listed_search).
            models.Index(fields=["kind", "tag", "added_at", "entity", "sort_name"], name="remotetag_search"),
            # Each matched tag's remote entities in name order (like entitytag_by_name, ADR 0140).
            models.Index(fields=["kind", "tag", "sort_name", "entity"], name="remotetag_by_name"),
        ]


class RemoteSource(models.Model):
    """What this node knows of one neighbour's shared directory: where its feed was read up to (``cursor``),
    whether it shares, and the neighbour's own absolute path (from its answers)."""

    via = models.CharField(max_length=50, unique=True)
    cursor = models.BigIntegerField(default=0)
    sharing = models.BooleanField(default=True)
    path = models.CharField(max_length=255, blank=True, default="")
    refreshed_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True, default="")

    def __str__(self) -> str:
        return self.via


class SynonymGroup(models.Model):
    """Words an administrator declares to mean the same in searches (``mechanic``, ``car-repair``): a search for
    one also finds the tags containing another, ranked as a synonym (ADR 0130)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return ", ".join(self.words)

    @property
    def words(self) -> list[str]:
        return [synonym.word for synonym in self.synonyms.all()]


class Synonym(models.Model):
    """One word of a synonym group, normalised like a tag. A word belongs to at most one group."""

    group = models.ForeignKey(SynonymGroup, on_delete=models.CASCADE, related_name="synonyms")
    word = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["word"]

    def __str__(self) -> str:
        return self.word
