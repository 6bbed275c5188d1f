"""Settings, all read from the environment in this one module.

``DJANGO_ENV`` selects the profile:

- ``development`` (default, ``make run``): SQLite under ``var/``, tasks in-process, console e-mail.
- ``test`` (``make test``): whatever ``DATABASE_URL``/``REDIS_URL`` the test script exports, fast
  password hashing.
- ``production``: every required variable must be set, or start-up fails naming the missing ones;
  secure cookies, HSTS and SSL redirect on. ``manage.py check --deploy`` is clean.

Every variable is listed, with a comment, in ``.env.example``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str, require

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

ENVIRONMENT = env_str("DJANGO_ENV", "development")
if ENVIRONMENT not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be development, test or production, not {ENVIRONMENT!r}"
    )
PRODUCTION = ENVIRONMENT == "production"

if PRODUCTION:
    require(["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"], environment=ENVIRONMENT)

# --- core -------------------------------------------------------------------------------------

SECRET_KEY = env_str("SECRET_KEY") or "dev-only-insecure-key-never-used-in-production"
# Off in every profile unless asked for: Django's debug pages list the URL patterns, and `make run`
# is where people judge the product, so it shows the product's own 404 and 500 pages. A developer
# sets DEBUG=true for the debug pages.
DEBUG = env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# A refused form gets the product's own page, which keeps what was typed (docs/intake.md).
CSRF_FAILURE_VIEW = "config.kept_input.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # allauth's passkey list
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "simple_history",
    "axes",
    "csp",
    # The second factor (TOTP, passkeys, recovery codes) and the login stages it runs in.
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "accounts",
    "breaches",
    "reporting",
    # Backup and restore, retention and disposal: above every app whose records it keeps.
    "governance",
    # The demo and benchmark data (`manage.py load_demo`): above every app it fills.
    "bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "accounts.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "accounts.middleware.SessionLifetimeMiddleware",
    "accounts.second_factor.SecondFactorMiddleware",
    "accounts.middleware.PrivateResponseMiddleware",
    # Last, so that a locked-out login is answered before any view runs.
    "axes.middleware.AxesMiddleware",
]

# WhiteNoise serves the static files in every profile, so they are served without DEBUG: in
# production the collected, hashed files (under gunicorn); elsewhere straight from the source
# folders through the staticfiles finders, re-read on each request (no collectstatic needed).
MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "config.kept_input.draft_owner",
                "accounts.second_factor.context",
            ],
        },
    }
]

# --- database ---------------------------------------------------------------------------------

_default_db = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
if not env_str("DATABASE_URL"):
    if PRODUCTION:  # unreachable after require(), kept so the intent is explicit
        raise ImproperlyConfigured("DATABASE_URL is required in production")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or _default_db,
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60 if PRODUCTION else 0),
    )
}
# The register's covering index (``incident_reported_scope``) is PostgreSQL's; SQLite has no
# INCLUDE and simply does without it (docs/performance.md), which Django would warn about.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the dev server and in-process tasks share the file;
    # IMMEDIATE transactions take the write lock up front, so two reports at once queue
    # instead of failing with "database is locked" when a read upgrades to a write.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth -------------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 12)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if ENVIRONMENT == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Login lockout (django-axes): after AXES_FAILURE_LIMIT failures for one username from one
# address, that pair is locked out for AXES_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
# Also per username across addresses: a guesser changing address each attempt is still stopped.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Anonymous reports (breaches/intake/anonymous.py): per ten-minute window, reports sent and wrong
# follow-up codes, overall and per sender (a rotating keyed hash of the address, kept in the
# cache only, never stored).
ANONYMOUS_REPORTS_PER_WINDOW = env_int("ANONYMOUS_REPORTS_PER_WINDOW", 60)
ANONYMOUS_REPORTS_PER_SENDER = env_int("ANONYMOUS_REPORTS_PER_SENDER", 5)
ANONYMOUS_CODE_FAILURES_PER_WINDOW = env_int("ANONYMOUS_CODE_FAILURES_PER_WINDOW", 200)
ANONYMOUS_CODE_FAILURES_PER_SENDER = env_int("ANONYMOUS_CODE_FAILURES_PER_SENDER", 10)
# How many reverse proxies in front of the app append to X-Forwarded-For (docker-compose: the
# TLS proxy, so 1). 0 trusts only the socket's address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "accounts.client_ip.client_ip"

# --- single sign-on and the second factor (docs/security.md, "Identity") ----------------------

# Privacy officers, the CPO, executives and administrators need a second factor: enrolled at
# their first sign-in, asked at every sign-in after it. On by default in production; `make run`
# leaves it optional (the sign-in page says so) and the tests turn it on where they prove it.
MFA_REQUIRED = env_bool("MFA_REQUIRED", default=PRODUCTION)
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "Privacy Breach Register")
# Passkeys need a secure origin; http://127.0.0.1 (make run, the browser tests) is allowed
# outside production only.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION
MFA_RECOVERY_CODE_COUNT = 10
MFA_ADAPTER = "accounts.second_factor.MFAAdapter"
MFA_FORMS = {
    "activate_totp": "accounts.second_factor.ActivateTOTPForm",
    "add_webauthn": "accounts.second_factor.AddWebAuthnForm",
    "authenticate_webauthn": "accounts.second_factor.AuthenticateWebAuthnForm",
    "reauthenticate_webauthn": "accounts.second_factor.ReauthenticateWebAuthnForm",
}
# TOTP secrets are stored encrypted with a key derived from this (default: SECRET_KEY).
MFA_ENCRYPTION_KEY = env_str("MFA_ENCRYPTION_KEY")
ACCOUNT_ADAPTER = "accounts.second_factor.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300

# Single sign-on by OpenID Connect: on when OIDC_ISSUER is set (its discovery document is read
# from ISSUER/.well-known/openid-configuration). Role and unit come from the claims named here
# at every sign-in; OIDC_ROLE_MAP maps group names to roles, first match winning.
OIDC_ISSUER = env_str("OIDC_ISSUER").rstrip("/")
OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID")
OIDC_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "your agency account")
OIDC_SCOPES = env_str("OIDC_SCOPES", "openid profile email")
OIDC_USERNAME_CLAIM = env_str("OIDC_USERNAME_CLAIM", "preferred_username")
OIDC_ROLE_CLAIM = env_str("OIDC_ROLE_CLAIM", "groups")
OIDC_ROLE_MAP = env_str(
    "OIDC_ROLE_MAP",
    "pbr-chief-privacy-officer=chief_privacy_officer,pbr-privacy-officers=privacy_officer,"
    "pbr-executives=executive,pbr-administrators=administrator,pbr-staff=reporter",
)
OIDC_UNIT_CLAIM = env_str("OIDC_UNIT_CLAIM", "unit")
# `amr` values (RFC 8176) that mean the provider itself asked for a second factor.
OIDC_MFA_AMR = env_list("OIDC_MFA_AMR", ["mfa", "otp", "hwk", "swk", "sc", "fpt", "face"])
OIDC_TIMEOUT_SECONDS = env_int("OIDC_TIMEOUT_SECONDS", 10)
# With SSO on, local passwords can be switched off for everyone but the break-glass
# administrators named here (for when the identity provider is down).
PASSWORD_SIGN_IN = env_bool("PASSWORD_SIGN_IN", True)
BREAK_GLASS_USERNAMES = env_list("BREAK_GLASS_USERNAMES")

# Sessions expire after SESSION_IDLE_MINUTES without a request.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 60) * 60
# Saved when it changes and otherwise at most once a minute, which moves the idle expiry on
# (accounts.middleware.SessionLifetimeMiddleware): not a write at every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = env_int("SESSION_REFRESH_SECONDS", 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# ...and SESSION_ABSOLUTE_HOURS after signing in, however active (accounts.middleware).
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_HOURS", 12) * 3600

# --- security headers -------------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# No page needs a camera, microphone, location, payment or the like.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=(), browsing-topics=()"
)
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # __Host- cookies: only over HTTPS, only for this host, path /; no subdomain can set them.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# --- i18n / time ------------------------------------------------------------------------------

LANGUAGE_CODE = "en-nz"
TIME_ZONE = env_str("TIME_ZONE", "Pacific/Auckland")
USE_I18N = True
USE_TZ = True

# --- static and private files -----------------------------------------------------------------

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
# Evidence and reports live under PRIVATE_MEDIA_ROOT, which no URL serves directly: only views
# that check scope and write an access event stream them.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))
# Beyond one host (docs/operations.md): with a bucket named, they are objects in S3-compatible
# storage that every web and worker host shares instead, still served only by those views (the
# storage gives no URL). Without keys, boto3 finds its own (an instance role, AWS_* variables).
OBJECT_STORAGE_BUCKET = env_str("OBJECT_STORAGE_BUCKET")
_OBJECT_STORAGE_OPTIONS = {
    "bucket_name": OBJECT_STORAGE_BUCKET,
    "endpoint_url": env_str("OBJECT_STORAGE_ENDPOINT_URL") or None,
    "access_key": env_str("OBJECT_STORAGE_ACCESS_KEY") or None,
    "secret_key": env_str("OBJECT_STORAGE_SECRET_KEY") or None,
    "region_name": env_str("OBJECT_STORAGE_REGION") or None,
    "encryption": env_str("OBJECT_STORAGE_ENCRYPTION"),
}
if OBJECT_STORAGE_BUCKET and (
    bool(_OBJECT_STORAGE_OPTIONS["access_key"]) != bool(_OBJECT_STORAGE_OPTIONS["secret_key"])
):
    raise ImproperlyConfigured(
        "OBJECT_STORAGE_ACCESS_KEY and OBJECT_STORAGE_SECRET_KEY are set together or not at all"
    )
if _OBJECT_STORAGE_OPTIONS["encryption"] not in {"", "AES256", "aws:kms"}:
    raise ImproperlyConfigured(
        "OBJECT_STORAGE_ENCRYPTION must be empty, AES256 or aws:kms, "
        f"not {_OBJECT_STORAGE_OPTIONS['encryption']!r}"
    )
STORAGES = {
    "default": (
        {"BACKEND": "config.storage.PrivateS3Storage", "OPTIONS": _OBJECT_STORAGE_OPTIONS}
        if OBJECT_STORAGE_BUCKET
        else {
            "BACKEND": "config.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT)},
        }
    ),
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Evidence uploads: the size limit and the types allowed, judged by content, not by name.
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_MB", 10) * 1024 * 1024
ATTACHMENT_ALLOWED_TYPES = env_list(
    "ATTACHMENT_ALLOWED_TYPES",
    [
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/heic",
        "text/plain",
        "text/csv",
        "message/rfc822",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ],
)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- e-mail -----------------------------------------------------------------------------------

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "privacy-register@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery -----------------------------------------------------------------------------------

REDIS_URL = env_str("REDIS_URL")
if PRODUCTION:
    # Shared by every web process: API throttling counts per person across all of them.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "pbr",
        }
    }
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
# Without a broker (make run), tasks run in-process, still only after the transaction commits.
# Tests run them in-process too, except where a test starts a real worker (tests/conftest.py).
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL or ENVIRONMENT == "test"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 600)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 540)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # How long Redis waits before redelivering an unacknowledged task of a dead worker, and how
    # often (seconds, every N-th check) workers look for such tasks.
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10),
    "unacked_restore_throttle": env_int("CELERY_UNACKED_RESTORE_THROTTLE", 10),
}
CELERY_TIMEZONE = TIME_ZONE
# Report jobs: a hard time limit, and how long a RUNNING row must be silent before another
# delivery may take it over (its worker died).
REPORT_TASK_TIME_LIMIT = env_int("REPORT_TASK_TIME_LIMIT", 600)
REPORT_STALE_SECONDS = env_int("REPORT_STALE_SECONDS", REPORT_TASK_TIME_LIMIT + 60)
# Tests only: hold a report job this long mid-way, so a test can kill its worker.
REPORT_TEST_PAUSE_SECONDS = env_int("REPORT_TEST_PAUSE_SECONDS", 0) if ENVIRONMENT == "test" else 0
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "deadline-reminders": {
        "task": "breaches.tasks.send_deadline_reminders",
        "schedule": env_int("REMINDER_INTERVAL_SECONDS", 900),
    },
    "quarterly-report": {
        # 06:00 on the first day after each quarter ends, in the organisation's time zone.
        "task": "reporting.tasks.request_previous_quarter_report",
        "schedule": crontab(minute=0, hour=6, day_of_month=1, month_of_year="1,4,7,10"),
    },
    "disposal-proposal": {
        # 05:00 on the first day of each month: a disposal run for the CPO to preview and approve
        # (nothing is disposed of without approval; docs/governance.md).
        "task": "governance.tasks.propose_disposal_run",
        "schedule": crontab(minute=0, hour=5, day_of_month=1),
    },
    "action-reminders": {
        "task": "breaches.tasks.send_action_reminders",
        "schedule": env_int("REMINDER_INTERVAL_SECONDS", 900),
    },
    # The outbox sweep: work whose row was committed but whose task never reached the broker
    # (Redis was down) is sent now. Each row is claimed, so nothing is sent twice.
    "outbox-sweep-alerts": {
        "task": "breaches.tasks.send_pending_alerts",
        "schedule": env_int("OUTBOX_SWEEP_SECONDS", 60),
    },
    "outbox-sweep-reports": {
        "task": "reporting.tasks.requeue_pending_reports",
        "schedule": env_int("OUTBOX_SWEEP_SECONDS", 60),
    },
}
# A row must have waited this long for its task before the sweep sends it itself.
OUTBOX_GRACE_SECONDS = env_int("OUTBOX_GRACE_SECONDS", 60)

# --- REST framework and OpenAPI ---------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so a request without credentials gets 401 with WWW-Authenticate.
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "breaches.pagination.DeferredPageNumberPagination",
    "PAGE_SIZE": 50,
    # Throttling: per person when signed in, per address otherwise (the proxy-aware address).
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        # The suite sends thousands of requests as the same few people: its own tests of
        # throttling set the rates they need.
        "user": env_str("API_THROTTLE_USER", "2000/hour" if ENVIRONMENT != "test" else "10000/min"),
        "anon": env_str("API_THROTTLE_ANON", "60/hour" if ENVIRONMENT != "test" else "10000/min"),
    },
    "NUM_PROXIES": env_int("TRUSTED_PROXY_COUNT", 0),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Domain errors from services become 400/403/409 here, and nowhere else (config/errors.py).
    "EXCEPTION_HANDLER": "config.errors.api_exception_handler",
    # ASCII-escaped JSON: an error that echoes a lone surrogate from the input still encodes.
    "UNICODE_JSON": False,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
# API tokens (django-rest-knox): made by the person on /account/tokens/, shown once, stored as
# a SHA-512 digest, expiring after API_TOKEN_DAYS, listed and revocable there.
KNOX_TOKEN_MODEL = "accounts.ApiToken"  # noqa: S105  (a model name, not a secret)
# knox's own migrations create its default token table even when the model is swapped; that
# table (unused, with a foreign key to users) would stop the test suite's TRUNCATE flush.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env_int("API_TOKEN_DAYS", 90)),
    "TOKEN_PREFIX": "pbr_",
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Privacy Breach Register API",
    "DESCRIPTION": "Incidents, triage and reporting. Scoped exactly like the pages (SPEC §3).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "ENUM_NAME_OVERRIDES": {
        "IncidentKindEnum": "breaches.models.Incident.Kind",
        "IncidentStatusEnum": "breaches.models.Incident.Status",
        "ActionKindEnum": "breaches.models.Action.Kind",
        "ActionStatusEnum": "breaches.models.Action.Status",
        "IncidentChannelEnum": "breaches.models.Incident.Channel",
        "NoticeChannelEnum": "breaches.models.IndividualNotice.Channel",
        "NoticeOutcomeEnum": "breaches.models.IndividualNotice.Outcome",
    },
}

# --- the register's own settings --------------------------------------------------------------

# Organisation-wide default jurisdiction for triage (NZ, GDPR, AU); incidents may override it.
REGISTER_DEFAULT_JURISDICTION = env_str("REGISTER_DEFAULT_JURISDICTION", "NZ")
REGISTER_PAGE_SIZE = env_int("REGISTER_PAGE_SIZE", 25)
# NZ: hours from awareness by which the Commissioner should be notified (OPC expects 72).
TRIAGE_NZ_TARGET_HOURS = env_int("TRIAGE_NZ_TARGET_HOURS", 72)
# Officers are reminded when this many hours are left before the regulator deadline.
TRIAGE_REMINDER_HOURS = [int(h) for h in env_list("TRIAGE_REMINDER_HOURS", ["24"])]
# Keep an X-Request-ID set by the reverse proxy (only when the proxy strips clients' own).
TRUST_REQUEST_ID_HEADER = env_bool("TRUST_REQUEST_ID_HEADER", False)
# The agency's name, as printed on drafts and reports.
AGENCY_NAME = env_str("AGENCY_NAME", "Ministry for Children (demo)")
# Where the register is reached, for links in e-mails.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
