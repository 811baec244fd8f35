"""Trees of real `mccs serve` nodes (a trunk `t` with branches `b1` and `b2`, each with its own database)."""

from __future__ import annotations

import pytest

from tests.federation.cluster import tree


def _stop_all(nodes) -> None:
    for node in nodes.values():
        node.stop()


@pytest.fixture
def nodes(tmp_path):
    """A fresh tree for one test."""
    nodes = tree(tmp_path)
    yield nodes
    _stop_all(nodes)


@pytest.fixture(scope="module")
def module_nodes(tmp_path_factory):
    """One tree shared by the tests of a module (starting three nodes costs seconds): each test signs up members of
    its own and leaves the links agreeing."""
    nodes = tree(tmp_path_factory.mktemp("tree"))
    yield nodes
    _stop_all(nodes)
