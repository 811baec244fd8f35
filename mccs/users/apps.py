from django.apps import AppConfig


def _record_web_login(sender, request, user, **kwargs):
    """Web and Django-admin sign-ins: the same bookkeeping as an API login (dates, address, audit entry)."""
    from mccs.core.client_ip import client_ip
    from mccs.users.services import user_login_record

    user_login_record(user=user, ip=client_ip(request) if request else "", issue_token=False)


class UsersConfig(AppConfig):
    name = "mccs.users"
    label = "users"

    def ready(self) -> None:
        from django.contrib.auth import user_logged_in
        from django.contrib.auth.models import update_last_login

        # Ours sets last_login too (and previous_login, the address and the audit entry); Django's would write
        # last_login a second time.
        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
        user_logged_in.connect(_record_web_login, dispatch_uid="mccs_record_web_login")
