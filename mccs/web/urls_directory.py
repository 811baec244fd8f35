"""URLs of the directory web pages (included by mccs/web/urls.py)."""

urlpatterns: list = []
