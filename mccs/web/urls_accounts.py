"""URLs of the accounts web pages (included by mccs/web/urls.py)."""

urlpatterns: list = []
