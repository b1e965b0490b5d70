"""One settings module, read from the environment.

Production: set SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL; DEBUG is off
unless DEBUG=1. ``make demo`` sets DEBUG=1 and uses the SQLite file db.sqlite3.
"""

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# The demo (DEBUG) shows the site's own 403/404/500 pages; DEBUG_ERROR_PAGES=1 brings back
# Django's technical pages for a developer (community.middleware).
DEBUG_ERROR_PAGES = env_bool("DEBUG_ERROR_PAGES", False)
DEFAULT_EXCEPTION_REPORTER = "community.middleware.FriendlyExceptionReporter"

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see README, 部署).")
    SECRET_KEY = "insecure-demo-key-only-for-make-demo-and-tests"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "guardian",
    "community",
    "notifications",
    "cms",
    "committees",
    "fees",
    "mediation",
    "grid",
    "supervision",
    "api",
    # Last, so that its demo binds accounts after the others have built their history.
    "residents",
    "pgtrigger",
    "django_celery_beat",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail.users",
    "wagtail.sites",
    "wagtail",
    "modelcluster",
    "taggit",
    # Identity (身份鉴别): failed sign-ins, the second factor.
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # The API for other systems (api/): Django REST framework, its OpenAPI schema by drf-spectacular.
    "rest_framework",
    "drf_spectacular",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "community.middleware.ChosenLanguageMiddleware",
    "community.pagecache.PublicPageCacheMiddleware",  # anonymous public pages (keyed by the language above)
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "community.middleware.FriendlyNotFoundMiddleware",  # the site's 404 page in the demo too
    "community.identity.IdentityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

if not DEBUG:
    # Static files straight from the app server in production; runserver serves them in DEBUG.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # {% p "：" %}: punctuation in the page's language (community/templatetags/punct.py)
            "builtins": ["community.templatetags.punct"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "community.context_processors.nav",
                "notifications.context_processors.unread",
                "committees.context_processors.confirmations",
                "grid.context_processors.requests",
                "api.context_processors.clients",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a write lock instead of failing at once when two requests write.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked account or address
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# guardian 3.5: the old GUARDIAN_MONKEY_PATCH setting is gone.
GUARDIAN_MONKEY_PATCH_USER = False
ANONYMOUS_USER_NAME = None  # no guardian anonymous user: public pages need no permissions

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "community.identity.CharacterClassValidator", "OPTIONS": {"min_length": 8, "min_classes": 3}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# ---------------------------------------------------------------- identity (身份鉴别, 等保 level 3)
# Failed sign-ins (django-axes, per account and per address): AXES_FAILURE_LIMIT failures within
# AXES_FAILURE_WINDOW lock for AXES_COOLOFF_TIME. Axes alone counts failures until the lock time
# has passed since the last one; community.identity.WindowedAxesHandler counts the window.
AXES_HANDLER = "community.identity.WindowedAxesHandler"
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_FAILURE_WINDOW = timedelta(minutes=int(os.environ.get("AXES_FAILURE_WINDOW_MINUTES", "15")))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a lock ends when it says, not later
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # one row per failure: the window is counted on it
AXES_RESET_ON_SUCCESS = False  # the handler forgets the account's failures, not the address's
AXES_CLIENT_IP_CALLABLE = "community.audit.client_ip"  # the same address the audit trail records
AXES_LOCKOUT_CALLABLE = "community.identity_views.locked_out"
AXES_VERBOSE = False
# Binding an owner's account (residents): wrong letter codes or ID tails from one address, or
# against one letter, lock for BINDING_LOCK_MINUTES after BINDING_FAILURE_LIMIT tries. SMS codes
# live SMS_CODE_MINUTES, allow SMS_CODE_TRIES tries, are resent after SMS_CODE_RESEND_SECONDS and
# at most SMS_CODE_DAILY_LIMIT times a day to one mobile.
BINDING_FAILURE_LIMIT = int(os.environ.get("BINDING_FAILURE_LIMIT", "5"))
BINDING_LOCK_MINUTES = int(os.environ.get("BINDING_LOCK_MINUTES", "30"))
SMS_CODE_MINUTES = int(os.environ.get("SMS_CODE_MINUTES", "10"))
SMS_CODE_TRIES = int(os.environ.get("SMS_CODE_TRIES", "5"))
SMS_CODE_RESEND_SECONDS = int(os.environ.get("SMS_CODE_RESEND_SECONDS", "60"))
SMS_CODE_DAILY_LIMIT = int(os.environ.get("SMS_CODE_DAILY_LIMIT", "10"))
# The second factor (django-otp): TOTP, with one-time recovery codes.
OTP_TOTP_ISSUER = "物业治理"
OTP_RECOVERY_CODES = 10
# Staff sessions (the roles that need the second factor): idle and absolute limits. Owners keep
# Django's session length.
STAFF_SESSION_IDLE = timedelta(minutes=int(os.environ.get("STAFF_SESSION_IDLE_MINUTES", "30")))
STAFF_SESSION_MAX = timedelta(hours=int(os.environ.get("STAFF_SESSION_MAX_HOURS", "12")))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Several web and worker machines need one store for uploads, job results and published PDFs:
# FILE_STORAGE=s3 puts them in an S3-compatible bucket (needs ``pip install "django-storages[s3]"``).
if os.environ.get("FILE_STORAGE") == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["S3_BUCKET"],
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "access_key": os.environ.get("S3_ACCESS_KEY") or None,
            "secret_key": os.environ.get("S3_SECRET_KEY") or None,
            "region_name": os.environ.get("S3_REGION") or None,
            "default_acl": None,  # private: files are served through the site's own checks
            "querystring_auth": True,
        },
    }
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

# Production hardening: on unless DEBUG. Behind a TLS-terminating proxy set
# SECURE_PROXY_SSL_HEADER via TRUST_X_FORWARDED_PROTO=1.
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    if env_bool("TRUST_X_FORWARDED_PROTO", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# The audit trail's source address: the socket's peer, or (behind a reverse proxy that sets it and
# that nothing else can reach) the first address of X-Forwarded-For.
TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

ESTATE_SITE_TITLE = _("物业治理")
# Where the site is reached from outside: links in texts and e-mails are built on it.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# Notifications (notifications/). E-mail through Django's backends: the console in DEBUG.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@localhost")
# SMS: the console (or SMS_FILE_PATH) for the demo; an HTTP gateway in production
# (SMS_BACKEND=notifications.channels.HttpSmsBackend and the SMS_GATEWAY_* variables).
SMS_BACKEND = os.environ.get("SMS_BACKEND", "notifications.channels.ConsoleSmsBackend")
SMS_FILE_PATH = os.environ.get("SMS_FILE_PATH", "")
SMS_SIGN_NAME = os.environ.get("SMS_SIGN_NAME", "物业治理")
SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
SMS_GATEWAY_KEY = os.environ.get("SMS_GATEWAY_KEY", "")
SMS_GATEWAY_SECRET = os.environ.get("SMS_GATEWAY_SECRET", "")
SMS_GATEWAY_SIGN_NAME = os.environ.get("SMS_GATEWAY_SIGN_NAME", SMS_SIGN_NAME)
# Template ids per event, as JSON: {"vote_convened": "SMS_123", "default": "SMS_100"}
SMS_GATEWAY_TEMPLATES = json.loads(os.environ.get("SMS_GATEWAY_TEMPLATES", "{}"))
SMS_GATEWAY_TIMEOUT = float(os.environ.get("SMS_GATEWAY_TIMEOUT", "5"))

# Wagtail: the public notice site and its editing interface (/cms/).
WAGTAIL_SITE_NAME = "物业治理"
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf"]
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
WAGTAIL_MODERATION_ENABLED = False
WAGTAIL_WORKFLOW_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# Background work (Celery). With no broker every task runs inline in the asking process: the demo
# needs no server. With one, ``make worker`` runs the tasks and the schedule (README, 后台任务).
CELERY_TASK_ALWAYS_EAGER = not os.environ.get("CELERY_BROKER_URL")
# Inline, no message ever leaves the process; "memory://" only keeps kombu from looking for AMQP.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True  # a job's outcome is kept in its own row (community.Job)
CELERY_TASK_ACKS_LATE = True  # a message leaves the queue only when its task has finished…
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # …and goes back to it when the worker dies mid-task
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = int(os.environ.get("CELERY_TASK_SOFT_TIME_LIMIT", "1500"))
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", "1800"))
VISIBILITY_TIMEOUT = int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # An unacknowledged message is handed out again after this long: longer than any task runs.
    "visibility_timeout": VISIBILITY_TIMEOUT,
    # How often a worker looks for such messages (a dead worker's): Redis's defaults (every
    # 100 s) for the hour above; soon after a short timeout (the tests set a few seconds).
    "unacked_restore_interval": max(1, min(10, VISIBILITY_TIMEOUT // 6)),
    "unacked_restore_throttle": max(1, min(10, VISIBILITY_TIMEOUT // 60)),
    "socket_connect_timeout": 1,
    "socket_timeout": 5,
}
# A page that hands work to a broker that is down learns so within a second, and says so.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# The cache carries a running job's progress from the worker to the status page, so it is shared
# (Redis) whenever a broker is: CACHE_URL, else the broker's Redis.
CACHE_URL = os.environ.get("CACHE_URL") or (CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL, "KEY_PREFIX": "estate"}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 5000}}
    )
}
# Anonymous public pages are served from that cache (community/pagecache.py) and kept at most this
# long; a change they show makes them stale at once. Several app processes must share Redis.
PUBLIC_PAGE_CACHE_SECONDS = int(os.environ.get("PUBLIC_PAGE_CACHE_SECONDS", "600"))

# Files (community/uploads.py): every upload is accepted by its content (PDF, JPEG, PNG; .xlsx and
# .csv for imports only) within these sizes, stored under a random name and served only through
# views that check access. Media is never served bare: the web server must not expose MEDIA_ROOT.
MB = 1024 * 1024
UPLOAD_MAX_BYTES = {
    "attachment": int(os.environ.get("UPLOAD_ATTACHMENT_MAX_MB", "10")) * MB,  # contracts, invoices
    "photo": int(os.environ.get("UPLOAD_PHOTO_MAX_MB", "5")) * MB,  # a phone photo
    "import": int(os.environ.get("UPLOAD_IMPORT_MAX_MB", "5")) * MB,  # a registry or exam-bank sheet
}
WAGTAILDOCS_SERVE_METHOD = "serve_view"  # notice attachments stream through Wagtail's checked view…
WAGTAILDOCS_INLINE_CONTENT_TYPES = []  # …as attachments
WAGTAILDOCS_DOCUMENT_FORM_BASE = "cms.forms.DocumentForm"  # checked in the editor as every upload is
WAGTAIL_GRAVATAR_PROVIDER_URL = None  # no third-party avatars in the editor (and none outside the policy)

# Pages (django-csp 4): no inline script anywhere on the site; the Wagtail editor (/cms/), whose
# own templates carry inline scripts and styles, gets its own policy in community.middleware.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
CONTENT_SECURITY_POLICY_EDITOR = {
    "PREFIXES": ("/cms/",),
    "DIRECTIVES": {
        "script-src": ["'self'", "'unsafe-inline'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "frame-ancestors": ["'self'"],  # the page preview is shown in a frame of the editor
    },
}
INSTALLED_APPS += ["csp"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "community.middleware.ContentSecurityPolicyMiddleware",
)

# The API (api/). Only the schema class is set here: Wagtail's admin uses REST framework too,
# with its own session authentication, so the API's authentication, permission, throttle and
# pagination are set on its own views (api.auth.ClientView and ClientViewSet).
REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}
SPECTACULAR_SETTINGS = {
    "TITLE": "物业治理 API (Estate Governance)",
    "DESCRIPTION": "供城市运行管理平台（一网统管）等外部系统调用的数据接口。For the city platform and other systems.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "DEFAULT_GENERATOR_CLASS": "api.schema.ApiSchemaGenerator",
    # A case's status and its steps' statuses are one choice set: one name in the schema.
    "ENUM_NAME_OVERRIDES": {"CaseStatusEnum": "grid.models.CaseStatus"},
}
# Cases from the city platform may bring their photos as addresses: fetched (by a job) only from
# these hosts, and only over https unless the host is also in API_PLAIN_HTTP_HOSTS (a test's or
# the demo's receiver on 127.0.0.1), which also lets a webhook be registered on plain http.
API_PHOTO_URL_HOSTS = env_list("API_PHOTO_URL_HOSTS")
API_PLAIN_HTTP_HOSTS = env_list("API_PLAIN_HTTP_HOSTS")
API_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("API_WEBHOOK_MAX_ATTEMPTS", "6"))
# Calls to the API without a valid token, per address and minute, before it answers 429 and stops
# writing them into the audit trail.
API_REFUSED_PER_MINUTE = int(os.environ.get("API_REFUSED_PER_MINUTE", "30"))
