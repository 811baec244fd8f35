from datetime import timedelta

from django.apps import AppConfig


def _shorter_session_for_administrators(sender, request, user, **kwargs):
    """An administrator's web session (admin pages and the Django admin alike) ends ``MCCS_ADMIN_SESSION_SECONDS``
    after signing in, however active it is; a member's keeps the node's ``SESSION_COOKIE_AGE`` (ADR 0051)."""
    from django.conf import settings
    from django.utils import timezone

    if request is not None and hasattr(request, "session") and user.is_staff:
        request.session.set_expiry(timezone.now() + timedelta(seconds=settings.MCCS_ADMIN_SESSION_SECONDS))


class WebConfig(AppConfig):
    name = "mccs.web"
    label = "web"

    def ready(self) -> None:
        from django.contrib.auth import user_logged_in

        user_logged_in.connect(_shorter_session_for_administrators, dispatch_uid="mccs_admin_session_expiry")
