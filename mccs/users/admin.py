"""The Django admin site for users. Its sign-in goes through the throttled backend, like every other sign-in."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.shortcuts import redirect

from mccs.core.errors import ApplicationError
from mccs.users.models import User
from mccs.users.tokens import tokens_revoke_all


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    """Shows the throttling message (too many failures) as a form error instead of failing the request."""

    def clean(self):
        try:
            return super().clean()
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None


admin.site.login_form = ThrottledAdminAuthenticationForm
admin.site.site_header = "MCCS administration"
admin.site.site_title = "MCCS administration"


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("email", "first_name", "last_name", "is_staff", "is_active", "last_login", "date_joined")
    list_filter = ("is_staff", "is_active")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)
    readonly_fields = ("password", "last_login", "previous_login", "last_login_ip", "date_joined")
    fields = (
        "email",
        "first_name",
        "last_name",
        "telephone",
        "is_active",
        "is_staff",
        "is_superuser",
        "password",
        "last_login",
        "previous_login",
        "last_login_ip",
        "date_joined",
    )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "email" in form.changed_data:
            # Signed out everywhere, as when the admin pages change it (web sessions end by the session hash).
            tokens_revoke_all(user=obj)


def _password_change(request, extra_context=None):
    """Django's own password form would bypass the service (no proof throttle, no email): use the web page."""
    return redirect("web:password_change")


# Deliberately replaces the default site's view (a custom AdminSite would be more machinery for one view).
admin.site.password_change = _password_change  # type: ignore[method-assign]
