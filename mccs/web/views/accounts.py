"""Web pages for the accounts domain: home, dashboard, sign-up, sign-in, passwords and profile.

Each view validates a form and calls the same service as the API; domain errors become form errors.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from mccs.core.errors import ApplicationError
from mccs.directory.selectors import entities_for_user
from mccs.users import services as user_services


def form_error(form: forms.Form, exc: ApplicationError, fields: dict[str, str] | None = None) -> None:
    """Show a domain error on the form field it concerns (``fields`` maps service names to form names)."""
    name = (fields or {}).get(exc.field or "", exc.field)
    form.add_error(name if name in form.fields else None, exc.message)


def safe_next(request: HttpRequest, default: str = "web:dashboard") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("web:dashboard")
    return render(request, "web/accounts/home.html")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    entity = entities_for_user(user=request.user).first()
    return render(request, "web/dashboard.html", {"entity": entity})


class LoginForm(forms.Form):
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("web:dashboard")
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = authenticate(
                request, email=form.cleaned_data["email"], password=form.cleaned_data["password"]
            )
        except ApplicationError as exc:  # throttled
            form_error(form, exc)
        else:
            if user is None:
                form.add_error(None, user_services.BAD_CREDENTIALS)
            else:
                login(request, user)
                return redirect(safe_next(request))
    return render(request, "web/accounts/login.html", {"form": form, "next": safe_next(request, "")})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        user_services.user_logout(user=request.user, raw_token=None)
    logout(request)
    messages.success(request, "You have been logged out.")
    return redirect("web:login")
