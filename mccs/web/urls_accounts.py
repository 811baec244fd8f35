"""URLs of the accounts web pages (included by mccs/web/urls.py)."""

from django.urls import path

from mccs.web.views import accounts

urlpatterns = [
    path("", accounts.home, name="home"),
    path("dashboard", accounts.dashboard, name="dashboard"),
    path("login", accounts.login_view, name="login"),
    path("logout", accounts.logout_view, name="logout"),
]
