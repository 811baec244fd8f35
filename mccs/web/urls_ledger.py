"""URLs of the ledger web pages (included by mccs/web/urls.py)."""

urlpatterns: list = []
