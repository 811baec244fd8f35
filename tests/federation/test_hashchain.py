"""The hash chain formula reproduces every hash the PHP reference node computed in the captured traffic."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mccs.federation.hashchain import link_hash, php_number

A = "ed7424d3-bdd3-48c4-afa3-1fa272abfdeb"
D = "69997dfc-08c8-4852-ae65-c7f4f1452676"
PRIMARY_D = (10, "credit test alice->bob")


def test_scenario_a_both_versions():
    pending = link_hash("", A, "pending", [(10, "credit test alice->bob")], 1)
    assert pending == "8734f726ac41d652327c75e3ac653273"
    assert link_hash(pending, A, "completed", [(10, "credit test alice->bob")], 2) == (
        "4d9c15361cd50dec73d14bf5975ef094"
    )


def test_scenario_b_bill_continues_the_chain():
    uuid = "dea83c54-c192-4cc6-b899-1b60dc32660d"
    entries = [(4, "bill test bob bills alice")]
    pending = link_hash("4d9c15361cd50dec73d14bf5975ef094", uuid, "pending", entries, 1)
    assert pending == "8efa895088f8b5dc9ea7fd226a8b52b8"
    assert link_hash(pending, uuid, "completed", entries, 2) == "58fb1d7f2a714cc0163ca2589c218aac"


def test_scenario_c_python_leaf_chain():
    first = "0ea7af5d-8af3-458f-8015-0f5e61ff21a8"
    second = "9556c35d-ba1a-473e-b423-e243bc9aee23"
    h1 = link_hash("", first, "pending", [(3, "alice credits dave (python)")], 1)
    assert h1 == "b8752ef1c2fc52c62db494402535b8bd"
    h2 = link_hash(h1, first, "completed", [(3, "alice credits dave (python)")], 2)
    assert h2 == "47e22c9a14a9bd3519fbb0d3f466dba6"
    h3 = link_hash(h2, second, "pending", [(5, "dave (python) credits bob")], 1)
    assert h3 == "220338cfc5a33e7a45faaffad9507060"
    assert link_hash(h3, second, "completed", [(5, "dave (python) credits bob")], 2) == (
        "7a417841c4cf6d7068791f92244b63f0"
    )


def test_scenario_d_fee_entries_in_transaction_order_in_trunk_units():
    trunk_fee = (1, "Payer fee of 1 to trunk/admin")
    branch2_fee = (2, "Payer fee of 1 to branch2/admin")
    payee_fee = (1, "Payee fee of 1 to trunk/admin")
    branch1 = [PRIMARY_D, trunk_fee, branch2_fee]
    h = link_hash("9fa43ca204280c3dd52e0e0c71586b76", D, "pending", branch1, 1)
    assert h == "dc167c14348e9d79821e1b9b0cea23c5"
    assert link_hash(h, D, "completed", branch1, 2) == "458305ced1f8f236d55de7b2c8016f85"
    # branch2 has conversion rate 2: the quants in its link's hash are the trunk's (10, not 5).
    branch2 = [PRIMARY_D, payee_fee, branch2_fee]
    h = link_hash("8b8908caae65be2449d2abd2aaac16ec", D, "pending", branch2, 1)
    assert h == "0a9481fad3552524f5a77013985ea88d"
    assert link_hash(h, D, "completed", branch2, 2) == "aebdeb2b40a0be516b9a84795edd6ce2"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (10, "10"),
        (Decimal("10.00"), "10"),
        (Decimal("0.5"), "0.5"),
        (Decimal("22.50"), "22.5"),
        (Decimal("0.01"), "0.01"),
        (Decimal("123456789.12"), "123456789.12"),
        (Decimal("0.0001"), "0.0001"),
        (Decimal("0.00001"), "1.0E-5"),
        (Decimal("1E15"), "1.0E+15"),
        (Decimal("1.5E15"), "1.5E+15"),
        (Decimal("123456789012345"), "1.2345678901234E+14"),
        (0, "0"),
    ],
)
def test_php_number(value, text):
    assert php_number(value) == text
