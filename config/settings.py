"""The one settings module. Everything a deployment changes comes from the environment (see README)."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

import dj_database_url

from config.email_url import email_settings

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(os.environ.get("MCCS_DATA_DIR", "./var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    if key := os.environ.get("MCCS_SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        # Written once, readable only by the node's own user; written aside and renamed into place, so that two
        # processes starting together (serve and worker) never read a half-written key or both write one.
        temporary = DATA_DIR / f".secret_key.{os.getpid()}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
        try:
            os.link(temporary, path)  # fails if another process got there first; theirs wins
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("MCCS_DEBUG")
BASE_URL = os.environ.get("MCCS_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("MCCS_ALLOWED_HOSTS", "*").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [BASE_URL]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "mccs.core",
    "mccs.notifications",
    "mccs.audit",
    "mccs.users",
    "mccs.matching",
    "mccs.directory",
    "mccs.ledger",
    "mccs.federation",
    "mccs.api",
    "mccs.web",
]

MIDDLEWARE = [
    "mccs.web.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "mccs.core.request_context.RequestContextMiddleware",
    "config.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mccs.web.middleware.MemberLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "mccs.web.middleware.HtmxSessionEndedMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'mccs.sqlite3'}"
# Connections are kept per server thread (and health-checked) instead of opened for every request.
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["OPTIONS"] = {
        # Writers take the lock when their transaction starts, so two writers never deadlock on an upgrade;
        # the busy timeout makes the second one wait instead of failing with "database is locked".
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    # A file, not :memory:, so that tests with real threads and processes share one database.
    _db["TEST"] = {"NAME": os.path.join(tempfile.gettempdir(), f"mccs-test-{os.getpid()}.sqlite3")}
else:
    # One test database per test process, so that several test runs on one server never collide.
    _db["TEST"] = {"NAME": f"test_mccs_{os.getpid()}"}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -------------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
# Web and Django-admin sign-ins go through the same throttled service as the API.
AUTHENTICATION_BACKENDS = ["mccs.users.backends.ThrottledEmailBackend"]
PASSWORD_HASHERS = [
    "mccs.users.passwords.Argon2Hasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "mccs.users.passwords.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "web:login"
# A signed-out visitor whose form fails its CSRF check is sent to sign in (and back), not shown a bare 403.
CSRF_FAILURE_VIEW = "mccs.web.views.errors.csrf_failure"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "web:login"

MCCS_TOKEN_TTL_SECONDS = int(os.environ.get("MCCS_TOKEN_TTL_SECONDS", 24 * 3600))
# Tokens that a signed-in web page gets for its own script (POST /api/v1/session/token): short-lived.
MCCS_SESSION_TOKEN_TTL_SECONDS = int(os.environ.get("MCCS_SESSION_TOKEN_TTL_SECONDS", 600))
MCCS_PASSWORD_RESET_TTL_SECONDS = int(os.environ.get("MCCS_PASSWORD_RESET_TTL_SECONDS", 3600))
MCCS_LOGIN_FAILURE_LIMIT = int(os.environ.get("MCCS_LOGIN_FAILURE_LIMIT", 10))
MCCS_LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("MCCS_LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60))
# Sign-ups one client address may make per rolling hour (API and web together); the next gets 429.
MCCS_SIGNUP_LIMIT_PER_HOUR = int(os.environ.get("MCCS_SIGNUP_LIMIT_PER_HOUR", 10))

# --- Ledger ---------------------------------------------------------------------------------------------------
# Node-wide defaults for new accounts, in whole credit units. The alpha used 500 and 0, which meant that nobody
# could pay anybody until an administrator acted; a small symmetric allowance lets a new member start trading.
MCCS_DEFAULT_MAX_POSITIVE_BALANCE = os.environ.get("MCCS_DEFAULT_MAX_POSITIVE_BALANCE", "500")
MCCS_DEFAULT_MAX_NEGATIVE_BALANCE = os.environ.get("MCCS_DEFAULT_MAX_NEGATIVE_BALANCE", "500")
MCCS_CURRENCY_UNIT = os.environ.get("MCCS_CURRENCY_UNIT", "mc")

# --- Email ----------------------------------------------------------------------------------------------------
EMAIL_URL = os.environ.get("MCCS_EMAIL_URL", "console:")
globals().update(email_settings(EMAIL_URL))
DEFAULT_FROM_EMAIL = os.environ.get("MCCS_FROM_EMAIL", "MCCS <noreply@mccs.invalid>")
MCCS_WORKER_POLL_SECONDS = float(os.environ.get("MCCS_WORKER_POLL_SECONDS", "1"))
# An email the SMTP server refuses permanently (5xx) is given up after this many attempts (ADR 0054); temporary
# failures (4xx, server down) are retried with back-off for as long as it takes.
MCCS_EMAIL_MAX_ATTEMPTS = int(os.environ.get("MCCS_EMAIL_MAX_ATTEMPTS", 3))
# Idempotency-Key records (ADR 0012) are deleted this many days after the request: a retry later is a new request.
MCCS_IDEMPOTENCY_KEY_DAYS = int(os.environ.get("MCCS_IDEMPOTENCY_KEY_DAYS", 7))

# --- Static files, served by the app itself -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Internationalisation -------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
# The languages the UI is translated into: each has a complete catalogue in mccs/locale (a test fails otherwise).
# A browser asking for any other language gets English, declared as English (Content-Language and <html lang>).
# docs/translating.md says how a community adds its own.
LANGUAGES = [("en", "English"), ("es", "Español"), ("fr", "Français"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "mccs" / "locale"]
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
# English dates stay ISO-like (2026-12-02 09:30); every other language uses Django's own locale formats.
FORMAT_MODULE_PATH = ["config.formats"]
USE_TZ = True

# --- Security -------------------------------------------------------------------------------------------------
HTTPS = BASE_URL.startswith("https://")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Sessions (ADR 0051): a member stays signed in for 14 days from signing in (a phone used for trading daily); an
# administrator, who can change every account's limits and addresses, for 12 hours.
SESSION_COOKIE_AGE = int(os.environ.get("MCCS_SESSION_SECONDS", 14 * 24 * 3600))
MCCS_ADMIN_SESSION_SECONDS = int(os.environ.get("MCCS_ADMIN_SESSION_SECONDS", 12 * 3600))
# Behind a reverse proxy, set this so throttling and the audit log see the member's address, not the proxy's.
# With an https MCCS_BASE_URL (docs/deploy.md), browsers are told to use only https for a year (on https requests
# only); the proxy's X-Forwarded-Proto says which requests came over https and, like X-Forwarded-For, is believed
# only with this setting. The proxy, not the node, redirects http to https: health checks and metrics scrapes on the
# private address keep working.
MCCS_TRUST_X_FORWARDED_FOR = env_bool("MCCS_TRUST_X_FORWARDED_FOR")
if HTTPS:
    SECURE_HSTS_SECONDS = int(os.environ.get("MCCS_HSTS_SECONDS", 365 * 24 * 3600))
    if MCCS_TRUST_X_FORWARDED_FOR:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content-Security-Policy (ADR 0051), in the shape of Django 6.0's setting: scripts and styles only from the node's
# own static files — no inline script, no inline style, no eval — and nothing loaded from anywhere else. Images may
# be data: URIs (Swagger UI's icons); QR codes and charts are inline SVG, drawn without style attributes.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# Browser features no page uses are switched off for the node and anything it might ever embed.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"client_errors": {"()": "config.log_handlers.ClientErrorFilter"}},
    "handlers": {
        "console": {
            "class": "config.log_handlers.CurrentStderrHandler",
            "formatter": "plain",
            "filters": ["client_errors"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("MCCS_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}


# Jobs the worker runs periodically: (dotted path of a function with no arguments, every N seconds).
MCCS_PERIODIC_TASKS: list[tuple[str, float]] = [
    ("mccs.directory.digest.digests_send", 3600),  # decides per entity whether a day has passed
    ("mccs.users.tokens.tokens_prune", 3600),  # expired tokens and old reset links
    ("mccs.ledger.idempotency.idempotency_prune", 3600),  # Idempotency-Key records past their days
    ("mccs.federation.services.federation_retry_due", 1),  # state changes owed to neighbour nodes
]

# The network directory (ADR 0120): how often the worker pulls the neighbours' shared directories and republishes
# this node's. Each hop of the tree adds up to one interval; the contract promises a change everywhere within 60 s.
MCCS_DIRECTORY_REFRESH_SECONDS = float(os.environ.get("MCCS_DIRECTORY_REFRESH_SECONDS", "10"))
# Which listed statuses the node shares with the network (comma-separated; empty: all of them, e.g.
# "tradingAccepted" to share only members who can be paid).
MCCS_DIRECTORY_SHARED_STATUSES = [
    s.strip() for s in os.environ.get("MCCS_DIRECTORY_SHARED_STATUSES", "").split(",") if s.strip()
]
MCCS_PERIODIC_TASKS.append(
    ("mccs.federation.directory_feed.directory_refresh_in_background", MCCS_DIRECTORY_REFRESH_SECONDS)
)

# Federation (Credit Commons): how long to wait for a neighbour node's answer. The PHP reference waits 2 s.
MCCS_FEDERATION_TIMEOUT_SECONDS = float(os.environ.get("MCCS_FEDERATION_TIMEOUT_SECONDS", "5"))

# Prometheus metrics at /metrics: off unless a token is set; scrapers send it as a bearer token (ADR 0081).
MCCS_METRICS_TOKEN = os.environ.get("MCCS_METRICS_TOKEN", "").strip()

# Private contact: messages one member may send per hour before 429.
MCCS_CONTACT_LIMIT_PER_HOUR = int(os.environ.get("MCCS_CONTACT_LIMIT_PER_HOUR", 10))
# Synonyms from the optional language model in directory search (ADR 0130); curated synonyms apply either way.
MCCS_SYNONYMS = env_bool("MCCS_SYNONYMS", True)
# Each serving process loads the dictionaries and the model in a low-priority thread as it starts, so that the first
# search does not wait for them (mccs/directory/warm_up.py, ADR 0135).
MCCS_WARM_UP = env_bool("MCCS_WARM_UP", True)
