"""Turn ``MCCS_EMAIL_URL`` into Django email settings.

Supported: ``console:``, ``file:///path``, ``smtp://[user:pass@]host:port``, ``smtp+tls://`` (STARTTLS) and
``smtp+ssl://`` (implicit TLS). Written by hand because the common parsers do not know the ``+tls``/``+ssl``
spellings that the operating contract promises.
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit


class EmailURLError(ValueError):
    pass


def email_settings(url: str) -> dict[str, object]:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "file":
        path = unquote(parts.path or parts.netloc)
        if not path:
            raise EmailURLError("MCCS_EMAIL_URL file:// needs a directory path, e.g. file:///var/mail/mccs")
        return {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": path}
    if scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if scheme in {"smtp", "smtp+tls", "smtp+ssl", "smtps"}:
        if not parts.hostname:
            raise EmailURLError("MCCS_EMAIL_URL smtp:// needs a host, e.g. smtp://localhost:25")
        query = parse_qs(parts.query)
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname,
            "EMAIL_PORT": parts.port or (465 if scheme in {"smtp+ssl", "smtps"} else 25),
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_TLS": scheme == "smtp+tls",
            "EMAIL_USE_SSL": scheme in {"smtp+ssl", "smtps"},
            "EMAIL_TIMEOUT": int(query.get("timeout", ["10"])[0]),
        }
    raise EmailURLError(
        f"MCCS_EMAIL_URL has an unknown scheme {scheme!r}: use console:, file://, smtp://, "
        "smtp+tls:// or smtp+ssl://"
    )
