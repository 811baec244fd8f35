"""Credit Commons paths, as members type them and as the reference writes them on the wire.

A member names a remote account by node names then the account (``trunk/branch2/1234…``). Here each party of a
transaction is kept as a path *seen from this node*: an account number for a local account, ``child/…`` for an
account reached through a leafward neighbour, ``trunk/…`` (our trunk's name first) for one reached through the
trunk. On the wire, paths are relative to the trunkward node of the link (WIRE-NOTES.md §5.3): a branch sends
``branch1/alice`` and ``branch2/bob`` to its trunk, and the trunk sends the same forms down; the trunk's own accounts
are ``trunk/admin``. An unknown first segment always goes trunkward.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

NAME_RE = re.compile(r"^[a-z0-9_-]{1,50}$")
SEGMENT_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,100}$")


@dataclass
class Topology:
    name: str
    trunk: str | None = None
    children: set[str] = field(default_factory=set)

    def segments(self, path: str) -> list[str]:
        parts = [p for p in path.strip().strip("/").split("/")]
        if not parts or not all(SEGMENT_RE.match(p) for p in parts):
            raise ValueError(f"{path!r} is not a Credit Commons path")
        return parts

    def normalise(self, path: str) -> str:
        """A member's path → the path seen from here (drops a leading own name)."""
        parts = self.segments(path)
        if parts[0] == self.name and len(parts) > 1:
            parts = parts[1:]
        if len(parts) == 1:
            return parts[0]
        if parts[0] in self.children or parts[0] == self.trunk:
            return "/".join(parts)
        if self.trunk is None:
            return "/".join(parts)
        return "/".join([self.trunk, *parts])

    def route(self, path: str) -> str | None:
        """Which neighbour a path seen from here goes through; None for a local account."""
        parts = self.segments(path)
        if len(parts) == 1:
            return None
        if parts[0] in self.children:
            return parts[0]
        return self.trunk

    def from_wire(self, wire: str, neighbour: str) -> str:
        """A path received on the link with ``neighbour`` → the path seen from here."""
        parts = self.segments(wire)
        if parts[0] == self.name:
            rest = parts[1:]
            return "/".join(rest) if rest else parts[0]
        if neighbour == self.trunk:
            # Relative to the trunk: the trunk's own accounts and anything else go through it.
            return wire if parts[0] == self.trunk else f"{self.trunk}/{wire}"
        # We are the trunk of this link: the path is relative to us.
        if parts[0] in self.children:
            return wire
        if self.trunk is None:
            return wire
        return wire if parts[0] == self.trunk else f"{self.trunk}/{wire}"

    def to_wire(self, path: str, neighbour: str) -> str:
        """The path seen from here → as written on the link with ``neighbour``."""
        parts = self.segments(path)
        if len(parts) == 1:
            return f"{self.name}/{parts[0]}"
        if neighbour == self.trunk:
            if parts[0] == self.trunk:
                return "/".join(parts[1:]) if len(parts) > 2 else path
            return f"{self.name}/{path}" if parts[0] in self.children else path
        if parts[0] == self.trunk and len(parts) > 2:
            return "/".join(parts[1:])
        return path
