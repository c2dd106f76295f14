"""Settings for 공모평가, read from the environment.

DATABASE_URL  default: SQLite file var/db.sqlite3 (embedded); postgres://… for PostgreSQL
SECRET_KEY    required unless DEBUG is on (then a development key is used)
DEBUG         "1"/"true" to enable
ALLOWED_HOSTS comma-separated; default 127.0.0.1,localhost

When DEBUG is off the HTTPS settings below are on (see README, "운영 배포"); these override them:
SECURE_SSL_REDIRECT            "0" when a proxy in front already redirects http to https (default on)
SECURE_HSTS_SECONDS            default 31536000 (one year); 0 turns HSTS off
SECURE_HSTS_INCLUDE_SUBDOMAINS default on
SECURE_HSTS_PRELOAD            default on
SECURE_PROXY_SSL_HEADER        "1" behind a reverse proxy that sets X-Forwarded-Proto: https
CSRF_TRUSTED_ORIGINS           comma-separated origins, e.g. https://example.go.kr
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_flag("DEBUG", default=False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is not set. Set SECRET_KEY, or DEBUG=1 for local development.")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"

ALLOWED_HOSTS = [
    host.strip() for host in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if host.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tables2",
    "accounts",
    "proposals",
    "evaluation",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.KoreanFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.PrivatePagesMiddleware",
    "portal.middleware.RequestBodyLimitMiddleware",  # before anything reads the body
    "portal.middleware.DatabaseBusyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.role",
                "portal.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while an import writes; IMMEDIATE avoids lock upgrades (every
    # transaction takes the write lock when it begins, so imports read and check their rows
    # outside any transaction and write in a short one: proposals/importing/engine.py).
    # timeout: seconds a transaction waits for the write lock before "database is locked". A
    # reviewer's save waits this long up to 3 times (evaluation/sheets.py, retried_when_busy),
    # ≈ 16 s in all: twice the write transaction of a 90,000-row import (7.9 s; an update of all
    # 90,000 holds it 22 s: bench/RESULTS.md), well inside an app server's request timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": float(os.environ.get("SQLITE_TIMEOUT", 5)),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The site's own address, for links printed or sent outside a request (a set-password link).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# Who runs the site (KRDS identity: header, footer, public pages). A competition names its own
# organization (SPEC §8.5, TOML key ``organization``); this is the site's, and the one a
# competition without it shows.
ORGANIZATION_NAME = os.environ.get("ORGANIZATION_NAME", "국토교통부")
# The footer's contact (KRDS footer): each shown when set.
CONTACT_DEPARTMENT = os.environ.get("CONTACT_DEPARTMENT", "")
CONTACT_PHONE = os.environ.get("CONTACT_PHONE", "")
CONTACT_EMAIL = os.environ.get("CONTACT_EMAIL", "")
CONTACT_HOURS = os.environ.get("CONTACT_HOURS", "")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 60 * 60 * 8  # one working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True

# Sign-in throttling (accounts/throttle.py): failures of one account name from one address
# before the doubling delays start; a ceiling per address (every account name, 15 minutes) that
# refuses; a ceiling per account name (every address, 15 minutes) that only shortens the first.
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", 5))
LOGIN_FAILURE_LIMIT_PER_IP = int(os.environ.get("LOGIN_FAILURE_LIMIT_PER_IP", 100))
LOGIN_FAILURE_LIMIT_PER_ACCOUNT = int(os.environ.get("LOGIN_FAILURE_LIMIT_PER_ACCOUNT", 20))
# The client address is REMOTE_ADDR unless a trusted reverse proxy appends it to X-Forwarded-For.
LOGIN_TRUST_X_FORWARDED_FOR = env_flag("LOGIN_TRUST_X_FORWARDED_FOR", default=False)

# Security headers. Every asset is served by the application itself (SPEC §7), so the content
# security policy allows only this origin: no inline scripts or styles, no CDN.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
CSRF_FAILURE_VIEW = "portal.views.errors.csrf_failure"  # a Korean page, not Django's English one
CSRF_TRUSTED_ORIGINS = [
    origin.strip() for origin in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if origin.strip()
]
if env_flag("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env_flag("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31_536_000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_flag("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_flag("SECURE_HSTS_PRELOAD", default=True)

LANGUAGE_CODE = "ko-kr"
LANGUAGES = [("ko", _("Korean")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = False
# Korean dates as 2026. 12. 1. and 2026. 12. 1. 14:05 (config/formats/ko/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Proposal documents (사업계획서, attachments): in the database by default, so that no app
    # server keeps a file on its own disk (SPEC §7); DOCUMENT_STORAGE_BACKEND names another
    # Django storage backend (an object store) for a deployment that prefers one.
    "documents": {
        "BACKEND": os.environ.get("DOCUMENT_STORAGE_BACKEND", "proposals.storage.DatabaseStorage"),
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

DJANGO_TABLES2_TEMPLATE = "portal/tables/krds_table.html"

# Spreadsheet import limits (SPEC §5): a larger file is refused with one message.
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", 20 * 1024 * 1024))
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", 100_000))
IMPORT_MAX_COLUMNS = int(os.environ.get("IMPORT_MAX_COLUMNS", 200))
IMPORT_MAX_UNCOMPRESSED_BYTES = int(os.environ.get("IMPORT_MAX_UNCOMPRESSED_BYTES", 400 * 1024 * 1024))
# The reading budget of one import (proposals/importing/workbook.py): cells of the first sheet
# (each row at least one, empty formatted cells included) and characters of their text. Counted
# while the rows stream and, for cells, by a raw scan of the sheet before any row is parsed, so
# a file past it is refused in seconds (the 604 KB file that expanded to 312 MB of cells took 52 s
# of CPU in the web preview). Enough for IMPORT_MAX_ROWS rows of 19 columns, 300 characters a row.
IMPORT_MAX_CELLS = int(os.environ.get("IMPORT_MAX_CELLS", 2_000_000))
IMPORT_MAX_CHARACTERS = int(os.environ.get("IMPORT_MAX_CHARACTERS", 30_000_000))
# Proposal documents (proposals/documents/): one file, and a zip of many matched by 접수번호 —
# its size, its number of files and the bytes it expands to (read, not as its headers claim).
DOCUMENT_MAX_BYTES = int(os.environ.get("DOCUMENT_MAX_BYTES", 50 * 1024 * 1024))
DOCUMENT_ZIP_MAX_BYTES = int(os.environ.get("DOCUMENT_ZIP_MAX_BYTES", 200 * 1024 * 1024))
DOCUMENT_ZIP_MAX_FILES = int(os.environ.get("DOCUMENT_ZIP_MAX_FILES", 500))
DOCUMENT_ZIP_MAX_UNCOMPRESSED_BYTES = int(
    os.environ.get("DOCUMENT_ZIP_MAX_UNCOMPRESSED_BYTES", 400 * 1024 * 1024)
)
# The progress a waiting import page shows (proposals/importing/progress.py): written at most every
# this many rows or seconds while the rows are read, and at each new phase.
IMPORT_PROGRESS_ROWS = int(os.environ.get("IMPORT_PROGRESS_ROWS", 2_000))
IMPORT_PROGRESS_SECONDS = float(os.environ.get("IMPORT_PROGRESS_SECONDS", 1))
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Request bodies (portal.middleware.RequestBodyLimitMiddleware): larger ones are refused with 413
# before they are read or spooled to disk. Not signed in: the sign-in form, the language switcher.
REQUEST_MAX_BYTES_ANONYMOUS = int(os.environ.get("REQUEST_MAX_BYTES_ANONYMOUS", 64 * 1024))
REQUEST_MAX_BYTES_SIGNED_IN = int(os.environ.get("REQUEST_MAX_BYTES_SIGNED_IN", DATA_UPLOAD_MAX_MEMORY_SIZE))
# The upload pages (by URL name) and their limit: the file's own limit and the form around it.
REQUEST_MAX_BYTES_UPLOAD = IMPORT_MAX_BYTES + 256 * 1024
REQUEST_UPLOAD_VIEWS = {
    "manage:import-proposals": REQUEST_MAX_BYTES_UPLOAD,
    "manage:proposal-documents": DOCUMENT_MAX_BYTES + 256 * 1024,
    "manage:document-replace": DOCUMENT_MAX_BYTES + 256 * 1024,
    "manage:documents-bulk": DOCUMENT_ZIP_MAX_BYTES + 256 * 1024,
}
# Without sign-in: an appeal through a result letter's link (its text and one attachment, checked
# by evaluation.appeals.file_appeal with the document limit).
REQUEST_ANONYMOUS_UPLOAD_VIEWS = {
    "letter-appeal": DOCUMENT_MAX_BYTES + 256 * 1024,
}

# E-mail (evaluation.notices: assignment notices, reminders, reopened sheets), Django's MAILERS.
# Production sends through the SMTP server the environment names (EMAIL_HOST, EMAIL_PORT,
# EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, EMAIL_TIMEOUT); development (DEBUG) prints
# each message on the console; the tests get Django's in-memory outbox (locmem, set by the runner).
MAILERS = {
    "default": (
        {"BACKEND": "config.mail.EmailBackend"}  # the console, decoded (config/mail.py)
        if DEBUG
        else {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ.get("EMAIL_HOST", "localhost"),
                "port": int(os.environ.get("EMAIL_PORT", 25)),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_flag("EMAIL_USE_TLS", default=False),
                "timeout": int(os.environ.get("EMAIL_TIMEOUT", 10)),  # a slow server never hangs a page
            },
        }
    )
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "webmaster@localhost")
# A reminder to the same reviewer for the same stage within this many seconds is not sent again
# (a double click, a repeated command).
NOTICE_REPEAT_SECONDS = int(os.environ.get("NOTICE_REPEAT_SECONDS", 600))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
