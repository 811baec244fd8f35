"""URLs of the accounts web pages (included by mccs/web/urls.py)."""

from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from mccs.web.views import accounts

urlpatterns = [
    path("", accounts.home, name="home"),
    # Browsers ask for /favicon.ico on their own (pages also name the icon in <link rel="icon">).
    path("favicon.ico", RedirectView.as_view(url=static("web/favicon.svg"), permanent=True)),
    path("dashboard", accounts.dashboard, name="dashboard"),
    path("trading/apply", accounts.apply_for_trading, name="apply_for_trading"),
    path("signup", accounts.signup_view, name="signup"),
    path("login", accounts.login_view, name="login"),
    path("logout", accounts.logout_view, name="logout"),
    path("password-reset", accounts.password_reset_request_view, name="password_reset"),
    path("password-reset/<str:token>", accounts.password_reset_confirm_view, name="password_reset_confirm"),
    path("password-change", accounts.password_change_view, name="password_change"),
    path("profile", accounts.profile_view, name="profile"),
    path("language", accounts.set_language, name="set_language"),
    path("profile/entity", accounts.profile_entity_view, name="profile_entity"),
]
