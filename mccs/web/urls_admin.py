"""URLs of the admin web pages (included by mccs/web/urls.py)."""

urlpatterns: list = []
