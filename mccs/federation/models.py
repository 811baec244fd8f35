"""A node's place in a Credit Commons tree: its name, its neighbours (each an account in our ledger), the
transactions that cross a link, and the state changes still owed to a neighbour (docs/federation.md)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from mccs.ledger.models import Account, Transfer


class Node(models.Model):
    """This node (one row, pk 1): its name in the tree and whether it shares its directory."""

    name = models.CharField(max_length=50, unique=True)
    sharing = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Direction(models.TextChoices):
    TRUNKWARD = "trunkward"
    LEAFWARD = "leafward"


class Neighbour(models.Model):
    """An adjacent node. Its account here mirrors our account there. ``rate`` is for the trunkward link only: one
    unit of this node is worth ``rate`` units of the trunk. ``last_hash`` is the head of the link's hash chain;
    ``lease_*`` make one state change at a time cross the link (both directions)."""

    name = models.CharField(max_length=50, unique=True)
    url = models.CharField(max_length=500)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    rate = models.DecimalField(max_digits=24, decimal_places=12, default=1)
    account = models.OneToOneField(Account, on_delete=models.PROTECT, related_name="neighbour")
    last_hash = models.CharField(max_length=32, blank=True, default="")
    lease_owner = models.CharField(max_length=40, blank=True, default="")
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["direction", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["direction"], condition=Q(direction="trunkward"), name="one_trunkward_neighbour"
            ),
            models.CheckConstraint(condition=Q(rate__gt=0), name="neighbour_rate_gt_0"),
            models.CheckConstraint(
                condition=Q(direction__in=["trunkward", "leafward"]), name="neighbour_direction_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_trunk(self) -> bool:
        return self.direction == Direction.TRUNKWARD


class CCState(models.TextChoices):
    VALIDATED = "validated"
    PENDING = "pending"
    COMPLETED = "completed"
    ERASED = "erased"


class FederatedTransfer(models.Model):
    """A Credit Commons transaction that crosses at least one of our links. Its uuid is the id of the ledger
    transfer (created at ``pending``), on every node it touches. ``entries`` are in hash order; each holds the
    payer and payee as paths seen from this node (an account number, ``child/…`` or ``trunk/…``) and ``cents`` in
    this node's units. ``upstream`` is where it came from (None: started here), ``downstream`` where it went."""

    uuid = models.UUIDField(primary_key=True)
    workflow = models.CharField(max_length=20)
    state = models.CharField(max_length=10, choices=CCState.choices, default=CCState.VALIDATED)
    version = models.IntegerField(default=0)
    payer = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    payee = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField()
    description = models.CharField(max_length=500, blank=True)
    entries = models.JSONField(default=list)
    upstream = models.ForeignKey(Neighbour, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    downstream = models.ForeignKey(
        Neighbour, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    author = models.CharField(max_length=100, blank=True)
    transfer = models.OneToOneField(
        Transfer, on_delete=models.PROTECT, null=True, blank=True, related_name="federated"
    )
    written = models.DateTimeField()

    class Meta:
        ordering = ["-written"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="fedtransfer_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(state__in=["validated", "pending", "completed", "erased"]),
                name="fedtransfer_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.uuid} {self.state} v{self.version}"

    def neighbours(self) -> list[Neighbour]:
        return [n for n in (self.upstream, self.downstream) if n is not None]


class LinkHash(models.Model):
    """The hash chain of each link, one row per saved version that involved the neighbour."""

    neighbour = models.ForeignKey(Neighbour, on_delete=models.CASCADE, related_name="hashes")
    uuid = models.UUIDField()
    version = models.IntegerField()
    state = models.CharField(max_length=10)
    previous = models.CharField(max_length=32, blank=True)
    hash = models.CharField(max_length=32)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["neighbour", "uuid", "version"], name="linkhash_one_per_version"),
        ]


class Intent(models.Model):
    """A state change owed to a neighbour: written before the call, done when the neighbour answers. The worker
    retries the oldest first, per link, until the neighbour accepts or refuses it."""

    neighbour = models.ForeignKey(Neighbour, on_delete=models.PROTECT, related_name="intents")
    federated = models.ForeignKey(FederatedTransfer, on_delete=models.CASCADE, related_name="intents")
    state = models.CharField(max_length=10)
    reason = models.CharField(max_length=500, blank=True)
    actor_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField()
    next_at = models.DateTimeField()
    attempts = models.IntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["done_at", "next_at"], name="intent_due")]


class SharedEntry(models.Model):
    """This node's directory feed (mccs/federation/directory_feed.py): one row per entity it shares or shared, its
    own listed members (``via`` empty) and those it relays (``via``: the neighbour they came from). ``seq`` grows on
    every change, so a neighbour asks only for rows past its cursor; a removed entity stays as a tombstone
    (``payload`` null) so that neighbours drop it too."""

    entity_id = models.UUIDField(primary_key=True)
    via = models.CharField(max_length=50, blank=True, default="")
    seq = models.BigIntegerField(unique=True)
    digest = models.CharField(max_length=32, blank=True, default="")
    payload = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"{self.entity_id} #{self.seq}"
