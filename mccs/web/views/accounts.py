"""Web pages for the accounts domain: home, dashboard, sign-up, sign-in, passwords and profile.

Each view validates a form and calls the same service as the API; domain errors become form errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import i18n as i18n_views
from django.views.decorators.http import require_POST

from mccs.core.client_ip import client_ip
from mccs.core.errors import ApplicationError, TooManyRequests
from mccs.directory.models import Entity, IncType
from mccs.directory.own_entities import entities_for_user, web_entity_for_user
from mccs.directory.services import entity_update
from mccs.directory.status import entity_apply_for_trading
from mccs.ledger.onboarding import member_sign_up
from mccs.matching.normalise import tags_from_text
from mccs.users import services as user_services
from mccs.web.fields import entity_form_field
from mccs.web.redirects import safe_next
from mccs.web.request_types import AuthenticatedHttpRequest
from mccs.web.templatetags.mccs_web import INC_TYPE_LABELS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

BACKEND = "mccs.users.backends.ThrottledEmailBackend"


class Form(forms.Form):
    """A form whose labels have no trailing colon."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def form_error(form: forms.Form, exc: ApplicationError, fields: dict[str, str] | None = None) -> None:
    """Show a domain error on the form field it concerns (``fields`` maps service names to form names)."""
    name = (fields or {}).get(exc.field or "", exc.field)
    form.add_error(name if name in form.fields else None, exc.message)


def landing(user) -> str:
    """Where a signed-in person starts: administrators at the approval queue, members on their dashboard."""
    return "web:admin_dashboard" if user.is_staff else "web:dashboard"


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(landing(request.user))
    return render(request, "web/accounts/home.html")


def _own_entity(request: AuthenticatedHttpRequest) -> Entity:
    entity = web_entity_for_user(user=request.user)
    if entity is None:
        raise Http404("You do not act for an entity.")
    return entity


@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.user.is_staff:
        return redirect("web:admin_dashboard")
    entity = web_entity_for_user(user=request.user)
    return render(request, "web/dashboard.html", {"entity": entity})


@login_required
@require_POST
def apply_for_trading(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A listed member asks to trade; the entity goes back into the administrators' queue."""
    entity = _own_entity(request)
    try:
        entity_apply_for_trading(actor=request.user, entity=entity)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _(
                "You have asked to trade. An administrator will decide soon, and you will get an email when they do."
            ),
        )
    return redirect("web:dashboard")


class LoginForm(Form):
    email = forms.EmailField(
        label=gettext_lazy("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(landing(request.user))
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = authenticate(request, email=data["email"], password=data["password"])
        except ApplicationError as exc:  # throttled
            form_error(form, exc)
            status = 429 if isinstance(exc, TooManyRequests) else 400
        else:
            if user is None:
                form.add_error(None, user_services.BAD_CREDENTIALS)
            else:
                login(request, user)
                return redirect(safe_next(request, landing(user)))
    context = {"form": form, "next": safe_next(request, "")}
    return render(request, "web/accounts/login.html", context, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        user_services.user_logout(user=request.user, raw_token=None)
    logout(request)
    messages.success(request, _("You have been logged out."))
    return redirect("web:login")


def tags_text(tags: list[str]) -> str:
    return ", ".join(tags)


def password_field(label, *, autocomplete: str = "new-password", **options) -> forms.CharField:
    """A password input: never stripped, at most 1000 characters (the service says what else is wrong)."""
    widget = forms.PasswordInput(attrs={"autocomplete": autocomplete})
    return forms.CharField(label=label, strip=False, max_length=1000, widget=widget, **options)


PASSWORD_HELP = gettext_lazy("At least 8 characters, at most 128; very common passwords are refused.")


class SignupForm(Form):
    email = forms.EmailField(
        label=gettext_lazy("Your email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = password_field(gettext_lazy("Password"), help_text=PASSWORD_HELP)
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=100, required=False)
    entity_name = forms.CharField(label=gettext_lazy("Business or organisation name"), max_length=100)
    offers = entity_form_field(
        "offers",
        help_text=gettext_lazy("What you offer, separated by commas (at most 10)."),
        widget=forms.TextInput(attrs={"placeholder": "bread, catering"}),
    )
    wants = entity_form_field(
        "wants",
        help_text=gettext_lazy("What you want, separated by commas (at most 10)."),
        widget=forms.TextInput(attrs={"placeholder": "plumbing, printing"}),
    )


SIGNUP_FORM_FIELDS = {
    "userEmail": "email",
    "name": "entity_name",
    "first_name": "first_name",
    "last_name": "last_name",
    "offers": "offers",
    "wants": "wants",
    "password": "password",
}


def signup_language() -> str:
    code = translation.get_language() or ""
    return code if code in dict(settings.LANGUAGES) else ""


def signup_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("web:dashboard")
    form = SignupForm(request.POST or None)
    status, retry_after = 200, None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = member_sign_up(
                email=data["email"],
                password=data["password"],
                ip=client_ip(request),
                issue_token=False,
                # The language the member signed up in is the language of their emails until they choose.
                user_fields={
                    "first_name": data["first_name"],
                    "last_name": data["last_name"],
                    "language": signup_language(),
                },
                entity_fields={
                    "name": data["entity_name"],
                    "offers": tags_from_text(data["offers"]),
                    "wants": tags_from_text(data["wants"]),
                },
            )
        except ApplicationError as exc:
            form_error(form, exc, SIGNUP_FORM_FIELDS)
            if isinstance(exc, TooManyRequests):
                status, retry_after = 429, exc.retry_after
        else:
            login(request, result.user, backend=BACKEND)
            messages.success(
                request, _("Welcome! Your account has been created. We have sent you a welcome email.")
            )
            return redirect("web:dashboard")
    response = render(request, "web/accounts/signup.html", {"form": form}, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


class EmailForm(Form):
    email = forms.EmailField(
        label=gettext_lazy("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


RESET_SENT = gettext_lazy(
    "If an account exists for that address, we have sent it an email with a link to choose a new "
    "password. The link works once and expires in %(minutes)s minutes."
)


def password_reset_request_view(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user_services.password_reset_request(email=form.cleaned_data["email"], admin=None)
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(
                request, RESET_SENT % {"minutes": settings.MCCS_PASSWORD_RESET_TTL_SECONDS // 60}
            )
            return redirect("web:login")
    return render(request, "web/accounts/password_reset_request.html", {"form": form})


class NewPasswordForm(Form):
    password = password_field(gettext_lazy("New password"), help_text=PASSWORD_HELP)
    password_again = password_field(gettext_lazy("New password again"))

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", _("The two passwords are not the same."))
        return data


def password_reset_confirm_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user_services.password_reset_user(raw_token=token, admin=None)
    except ApplicationError as exc:
        return render(
            request, "web/accounts/password_reset_invalid.html", {"message": exc.message}, status=400
        )
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user_services.password_reset_confirm(
                raw_token=token, password=form.cleaned_data["password"], admin=None
            )
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            if request.user.is_authenticated:
                logout(request)
            messages.success(
                request, _("Your password has been changed. Please log in with your new password.")
            )
            return redirect("web:login")
    return render(request, "web/accounts/password_reset_confirm.html", {"form": form, "token": token})


class PasswordChangeForm(NewPasswordForm):
    current_password = password_field(gettext_lazy("Current password"), autocomplete="current-password")
    field_order = ["current_password", "password", "password_again"]


@login_required
def password_change_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user_services.user_password_change(
                user=request.user,
                current_password=form.cleaned_data["current_password"],
                password=form.cleaned_data["password"],
                ip=client_ip(request),
            )
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            update_session_auth_hash(request, request.user)  # stay signed in here; other sessions end
            messages.success(request, _("Your password has been changed."))
            return redirect("web:profile")
    return render(request, "web/accounts/password_change.html", {"form": form})


def language_choices() -> list[tuple[str, StrOrPromise]]:
    """The languages of the pages, each named in itself (a Spanish speaker looks for "Español")."""
    return [("", gettext_lazy("The language of my browser")), *settings.LANGUAGES]


def set_language(request: HttpRequest) -> HttpResponse:
    """The language picker on every page (a plain form, no script): Django's ``set_language`` keeps the choice
    in a cookie; a signed-in member's choice is also their preference, so their emails follow it."""
    response = i18n_views.set_language(request)
    code = request.POST.get("language", "")
    user = request.user
    if request.method == "POST" and user.is_authenticated and code in dict(settings.LANGUAGES):
        user_services.user_profile_update(user=user, changes={"language": code})
    return response


class UserForm(Form):
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=100, required=False)
    telephone = forms.CharField(
        label=gettext_lazy("Telephone"),
        max_length=25,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        required=False,
        choices=language_choices,
        help_text=gettext_lazy(
            "The language of these pages once you sign in, and of the emails you receive."
        ),
    )


@login_required
def profile_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    initial = {name: getattr(user, name) for name in UserForm.base_fields}
    form = UserForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            user_services.user_profile_update(user=user, changes=form.cleaned_data)
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Your details have been saved."))
            return redirect("web:profile")
    entities = entities_for_user(user=user) if not user.is_staff else []
    return render(request, "web/accounts/profile.html", {"form": form, "entities": entities})


class EntityForm(Form):
    name = entity_form_field("name")
    email = entity_form_field(
        "email", help_text=gettext_lazy("Shown to members you trade with; leave empty to use your own.")
    )
    telephone = entity_form_field("telephone", widget=forms.TextInput(attrs={"type": "tel"}))
    inc_type = entity_form_field(
        "inc_type", choices=[("", "—"), *((value, INC_TYPE_LABELS[value]) for value in IncType.values)]
    )
    company_number = entity_form_field("company_number")
    website = entity_form_field("website", widget=forms.TextInput(attrs={"type": "url"}))
    declared_turnover = entity_form_field("declared_turnover")
    description = entity_form_field("description", widget=forms.Textarea(attrs={"rows": 4}))
    address = entity_form_field("address")
    city = entity_form_field("city")
    region = entity_form_field("region")
    postal_code = entity_form_field("postal_code")
    country = entity_form_field("country")
    offers = entity_form_field(
        "offers",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("What you offer, separated by commas (at most 10)."),
    )
    wants = entity_form_field(
        "wants",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("What you want, separated by commas (at most 10)."),
    )
    show_tags_matched_since_last_login = entity_form_field("show_tags_matched_since_last_login")
    receive_daily_match_notification_email = entity_form_field("receive_daily_match_notification_email")


@login_required
def profile_entity_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    entity = _own_entity(request)
    initial = {
        name: getattr(entity, name) for name in EntityForm.base_fields if name not in {"offers", "wants"}
    }
    initial.update(offers=tags_text(entity.offers), wants=tags_text(entity.wants))
    for name in ("inc_type", "declared_turnover"):
        initial[name] = initial[name] if initial[name] is not None else ""
    form = EntityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {name: value for name, value in form.cleaned_data.items() if name in form.changed_data}
        for name in ("offers", "wants"):
            if name in changes:
                changes[name] = tags_from_text(changes[name])
        try:
            entity_update(actor=request.user, entity=entity, changes=changes)
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Your entity's details have been saved."))
            return redirect("web:profile_entity")
    return render(request, "web/accounts/profile_entity.html", {"form": form, "entity": entity})
