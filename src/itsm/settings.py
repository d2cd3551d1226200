"""The one documented configuration of ITSM.

Every setting that differs between installations is read here, once, from an
``ITSM_*`` environment variable. The defaults make ``make run`` work with none set:
SQLite in ``var/``, files in ``var/media/``, background jobs on huey's SQLite storage.

Environment variables:
    ITSM_PRODUCTION      "1" turns on production mode: DEBUG off, secure cookies,
                         HSTS and HTTPS redirect (``itsm check --deploy`` passes).
    ITSM_SECRET_KEY      required in production; otherwise generated into var/.
    ITSM_DATABASE_URL    e.g. postgres://itsm@db:5432/itsm (default: SQLite in var/).
    ITSM_REDIS_URL       e.g. redis://127.0.0.1:6379/0 (job queue and cache).
    ITSM_ALLOWED_HOSTS   comma-separated host names (default: localhost, 127.0.0.1).
    ITSM_VAR_DIR         where SQLite, media, keys and logs live (default: ./var).
    ITSM_MAX_UPLOAD_MB   attachment size limit in MB (default 25).
    ITSM_SESSION_IDLE_MINUTES  idle time before a session expires (default 30).
    ITSM_EMAIL_URL       smtp://user:pass@host:port (default: files in var/mail).
    ITSM_SITE_URL        the address users reach ITSM at, for links in emails.
    ITSM_DEFAULT_FROM_EMAIL    sender address of outgoing mail.
    ITSM_IMAP_URL        intake mailbox, imap://user:pass@host:143/INBOX or imaps://…
                         (imap+starttls:// also works); empty turns email intake off.
    ITSM_IMAP_POLL_SECONDS     how often the intake mailbox is polled (default 60;
                         rounded to whole minutes by the periodic job).
    ITSM_MAIL_INTAKE_ORGANIZATION  code of the customer organization that receives
                         mail from unknown senders; empty: such mail is quarantined.
    ITSM_COMPLAINTS_MAIL_ADDRESS  mail sent to this address (delivered to the intake
                         mailbox too) becomes a complaint, not a ticket; empty: off.
    ITSM_FEEDBACK_SCORE_THRESHOLD  a survey answer or ticket rating at or below this
                         score opens a feedback item (default 2).
    ITSM_MAIL_MAX_BYTES  larger inbound messages are quarantined unparsed (default 25 MB).
    ITSM_REOPEN_DAYS     a requester's reply within this many days of resolution
                         reopens the ticket (default 7).
    ITSM_ASSIGNMENT_STRATEGY  how a new ticket's service owner team picks a member:
                         least_loaded (default), round_robin, or off (no automatic
                         assignment).
    ITSM_CHANGE_RETENTION_YEARS  years a change record is kept before it may be
                         deleted (default 5).
    ITSM_PURGE_EXPIRED   "1" turns on the nightly purge of closed records whose
                         retention period is over (audited; default 0: off).
    ITSM_CHANGE_APPROVAL_TIERS   JSON: change scale → approval stages, e.g.
                         {"ordinary": ["department_head"], "major": ["cab"],
                          "particularly_major": ["cab", "senior_management"]} (default).
    ITSM_2FA_REQUIRED_ROLES  comma-separated roles that must use two-factor authentication
                         (TOTP) to reach anything (default "administrator", which also
                         covers superusers and anyone who may use /admin/); anyone else
                         may enable it on the Security page. Empty: optional for all.
    ITSM_2FA_ISSUER      the name authenticator apps show for the account (default ITSM).
    ITSM_RATE_LOGIN, ITSM_RATE_LOGIN_USERNAME, ITSM_RATE_OTP, ITSM_RATE_PASSWORD_RESET,
    ITSM_RATE_PASSWORD_RESET_EMAIL  request rates beyond which the login form and the
                         token endpoint (per address / per username), the two-factor code
                         step (per person) and the password reset form (per address / per
                         email address) answer 429; "N/sec|min|hour|day" (defaults 30/min,
                         10/min, 10/min, 10/hour, 3/hour).
    ITSM_WARM_UP         "0" skips loading the search dictionary, translations and URL
                         map when a web or job worker starts (``core.warmup``; default on).
    ITSM_LDAP_URI        optional login against LDAP / Active Directory, e.g.
                         ldap://ad.example.cn:389 (needs ``pip install
                         django-auth-ldap``; empty: off). With it:
    ITSM_LDAP_BIND_DN, ITSM_LDAP_BIND_PASSWORD  the account that searches the directory.
    ITSM_LDAP_USER_BASE  where people are, e.g. ou=people,dc=example,dc=cn.
    ITSM_LDAP_USER_FILTER  default (uid=%(user)s); Active Directory:
                         (sAMAccountName=%(user)s).
    ITSM_LDAP_START_TLS  "1": STARTTLS before binding.
    ITSM_LDAP_ORGANIZATION  code of the organization a person logging in for the first
                         time joins (usually the provider).
    ITSM_LDAP_GROUP_BASE, ITSM_LDAP_ROLE_GROUPS  roles from directory groups
                         (groupOfNames), e.g. "agent=cn=itsm-agents,ou=groups,dc=…;
                         team_lead=cn=itsm-leads,ou=groups,dc=…": set at every login.
    ITSM_LDAP_DEFAULT_ROLES  roles of a new person without role groups (default agent).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import dj_database_url


def env(name: str, default: str = "") -> str:
    return os.environ.get(f"ITSM_{name}", default)


def env_bool(name: str, default: bool = False) -> bool:
    return env(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(env("VAR_DIR", str(PROJECT_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

PRODUCTION = env_bool("PRODUCTION")
DEBUG = env_bool("DEBUG") and not PRODUCTION


def _secret_key() -> str:
    key = env("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("ITSM_SECRET_KEY must be set in production mode.")
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [h.strip() for h in env("ALLOWED_HOSTS", "localhost,127.0.0.1").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env("CSRF_TRUSTED_ORIGINS").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "crispy_forms",
    "crispy_bootstrap5",
    "huey.contrib.djhuey",
    "rules.apps.AutodiscoverRulesConfig",
    "sequences.apps.SequencesConfig",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "itsm.core",
    "itsm.ui",
    "itsm.catalog",
    "itsm.cmdb",
    "itsm.security",
    "itsm.problems",
    "itsm.changes",
    "itsm.servicedesk",
    "itsm.complaints",
    "itsm.surveys",
    "itsm.quality",
    "itsm.knowledge",
    "itsm.documents",
    "itsm.demo",
    # Last, so that our templates under admin/ (base_site) override its own.
    "django.contrib.admin",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "itsm.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "itsm.core.middleware.UserLanguageMiddleware",
    "itsm.core.middleware.ApiRequestLimitsMiddleware",
    "itsm.core.middleware.SessionIdleTimeoutMiddleware",
    "itsm.core.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "itsm.core.twofactor.RequireTwoFactorMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Scripts, styles, fonts and images from our own origin only (no CDN, no inline script,
# no eval); inline style attributes are allowed (Bootstrap and ECharts set them).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

ROOT_URLCONF = "itsm.urls"
WSGI_APPLICATION = "itsm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "itsm.ui.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'itsm.sqlite3'}"),
        conn_max_age=0 if env("DATABASE_URL", "").startswith("sqlite") else 60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers proceed while one writer commits; IMMEDIATE takes the
        # write lock at BEGIN so concurrent writers queue instead of failing.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and background jobs ----------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    # The cache only spares work: while Redis is down it misses instead of failing
    # requests (core/cache.py), and a hung Redis cannot hold a request for long.
    CACHES = {"default": {"BACKEND": "itsm.core.cache.ResilientRedisCache",
                          "LOCATION": REDIS_URL,
                          "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}}}
    HUEY = {
        "huey_class": "huey.PriorityRedisHuey",
        "name": "itsm",
        "url": REDIS_URL,
        "immediate": False,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
    # Sessions are read from Redis (written to both): no session query per request.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                          "LOCATION": "itsm_cache"}}
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "itsm",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": env_bool("HUEY_IMMEDIATE"),
        "consumer": {"workers": 2, "worker_type": "thread"},
    }

# --- Authentication and login security -------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]


def ldap_settings(environ: dict[str, str]) -> dict:
    """The settings of the optional LDAP / Active Directory login from ``ITSM_LDAP_*``
    variables (none when ``ITSM_LDAP_URI`` is empty): django-auth-ldap's own and ours
    (``core.ldap_backend``). A person is looked up by the search account, then binds
    with their own password; the local password stays unusable."""
    def get(name: str, default: str = "") -> str:
        return environ.get(f"ITSM_LDAP_{name}", default)

    if not get("URI"):
        return {}
    try:  # an optional package: only an installation that logs in against LDAP has it
        from django_auth_ldap.config import GroupOfNamesType, LDAPSearch
        from ldap import SCOPE_SUBTREE
    except ImportError as exc:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "ITSM_LDAP_URI is set but django-auth-ldap is not installed: "
            "apt-get install libldap2-dev libsasl2-dev, then "
            ".venv/bin/pip install 'itsm[ldap]' (or django-auth-ldap==5.4.0)") from exc

    roles = dict(pair.split("=", 1) for pair in get("ROLE_GROUPS").split(";") if "=" in pair)
    values = {
        "AUTHENTICATION_BACKENDS": [*AUTHENTICATION_BACKENDS[:2],
                                    "itsm.core.ldap_backend.LDAPBackend",
                                    *AUTHENTICATION_BACKENDS[2:]],
        "AUTH_LDAP_SERVER_URI": get("URI"),
        "AUTH_LDAP_BIND_DN": get("BIND_DN"),
        "AUTH_LDAP_BIND_PASSWORD": get("BIND_PASSWORD"),
        "AUTH_LDAP_START_TLS": get("START_TLS", "0").lower() in {"1", "true", "yes", "on"},
        "AUTH_LDAP_USER_SEARCH": LDAPSearch(get("USER_BASE"), SCOPE_SUBTREE,
                                            get("USER_FILTER", "(uid=%(user)s)")),
        "AUTH_LDAP_USER_ATTR_MAP": {"first_name": "givenName", "last_name": "sn",
                                    "email": "mail"},
        "AUTH_LDAP_ALWAYS_UPDATE_USER": True,
        "ITSM_LDAP_ORGANIZATION": get("ORGANIZATION"),
        "ITSM_LDAP_ROLE_GROUPS": {role.strip(): dn.strip() for role, dn in roles.items()},
        "ITSM_LDAP_DEFAULT_ROLES": [r.strip() for r in get("DEFAULT_ROLES", "agent").split(",")
                                    if r.strip()],
    }
    if get("GROUP_BASE"):
        values["AUTH_LDAP_GROUP_SEARCH"] = LDAPSearch(get("GROUP_BASE"), SCOPE_SUBTREE,
                                                      "(objectClass=groupOfNames)")
        values["AUTH_LDAP_GROUP_TYPE"] = GroupOfNamesType()
    return values


globals().update(ldap_settings(dict(os.environ)))
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = int(env("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(env("LOGIN_COOLOFF_MINUTES", "15")) / 60  # hours
# Per username, whatever the address: a guessing run spread over many addresses is
# stopped too (the price: anyone can lock a known username out for the cool-off).
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 wants the address in the lockout key, against clients rotating cookies or
# user agents; a per-username lockout cannot be escaped that way, and locking whole
# addresses would lock every agent behind a company's NAT.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_LOCKOUT_CALLABLE = "itsm.core.ratelimits.lockout_response"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

#: Roles that must use two-factor authentication (TOTP); "administrator" also covers
#: superusers and people who may use Django's /admin/ (``is_staff``).
ITSM_2FA_REQUIRED_ROLES = [r.strip() for r in env("2FA_REQUIRED_ROLES", "administrator").split(",")
                           if r.strip()]
OTP_TOTP_ISSUER = env("2FA_ISSUER", "ITSM")
# django-otp's admin pages must not show secrets, QR codes or backup codes to anyone.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
#: One-time backup codes issued when two-factor authentication is set up.
ITSM_2FA_BACKUP_CODES = 10
#: Minutes between the password step and the code step of a login.
ITSM_2FA_LOGIN_MINUTES = 5

SESSION_IDLE_SECONDS = int(env("SESSION_IDLE_MINUTES", "30")) * 60
SESSION_COOKIE_AGE = 12 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_COOKIE_HTTPONLY = True
    SECURE_SSL_REDIRECT = env_bool("SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(env("HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Internationalisation ---------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files and attachments -------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = PROJECT_DIR / "staticfiles"
STATICFILES_DIRS = [
    ("vendor/bootstrap", PROJECT_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/htmx", PROJECT_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/echarts", PROJECT_DIR / "node_modules" / "echarts" / "dist"),
    ("vendor/bootstrap-icons", PROJECT_DIR / "node_modules" / "bootstrap-icons" / "font"),
]
STATICFILES_DIRS = [(prefix, path) for prefix, path in STATICFILES_DIRS if path.exists()]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Attachments live outside any URL space; they are served only by an access-checked view.
MEDIA_ROOT = Path(env("MEDIA_DIR", str(VAR_DIR / "media")))
MEDIA_URL = "/media-not-served/"
MAX_UPLOAD_BYTES = int(float(env("MAX_UPLOAD_MB", "25")) * 1024 * 1024)
# Django itself must accept the body so that our view can answer 413 with a message.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Email -------------------------------------------------------------------------
_email_url = env("EMAIL_URL")
if _email_url:
    import urllib.parse

    _u = urllib.parse.urlparse(_email_url)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _u.hostname or "localhost"
    EMAIL_PORT = _u.port or 25
    EMAIL_HOST_USER = urllib.parse.unquote(_u.username or "")
    EMAIL_HOST_PASSWORD = urllib.parse.unquote(_u.password or "")
    EMAIL_USE_TLS = _u.scheme == "smtp+tls"
    EMAIL_USE_SSL = _u.scheme == "smtps"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "itsm@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Email intake (servicedesk.mailintake) -----------------------------------------
IMAP_URL = env("IMAP_URL")
IMAP_POLL_SECONDS = int(env("IMAP_POLL_SECONDS", "60"))
MAIL_INTAKE_ORGANIZATION = env("MAIL_INTAKE_ORGANIZATION")
#: Mail to this address (also delivered to the intake mailbox) becomes a complaint.
COMPLAINTS_MAIL_ADDRESS = env("COMPLAINTS_MAIL_ADDRESS")
#: A survey answer or ticket rating at or below this opens a feedback item (FBK-3).
FEEDBACK_SCORE_THRESHOLD = int(env("FEEDBACK_SCORE_THRESHOLD", "2"))
MAIL_MAX_BYTES = int(env("MAIL_MAX_BYTES", str(25 * 1024 * 1024)))
REOPEN_DAYS = int(env("REOPEN_DAYS", "7"))

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    # JSON only: the browsable API rendered forms and filter forms for people (see
    # /api/docs/ for that), an attack surface we do not need.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "itsm.core.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bounded in size and depth (core.api.parsers); uploads as multipart.
    "DEFAULT_PARSER_CLASSES": ["itsm.core.api.parsers.JSONParser",
                               "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
    "DEFAULT_FILTER_BACKENDS": [
        "itsm.core.api.filters.ScopedFilterBackend",
        "itsm.core.api.filters.StrictOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "itsm.core.pagination.RecordCursorPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "itsm.core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "itsm.core.api.exceptions.exception_handler",
    # Throttles key on REMOTE_ADDR: a client-supplied X-Forwarded-For is never trusted.
    "NUM_PROXIES": 0,
    # Scopes of itsm.core.ratelimits (the web login and reset forms use them too).
    "DEFAULT_THROTTLE_RATES": {
        scope: env(f"RATE_{scope.upper()}", default) for scope, default in [
            ("login", "30/min"),  # per client address: web login form and token endpoint
            ("login_username", "10/min"),  # per username, from any address
            ("otp", "10/min"),  # two-factor code step, per person
            ("password_reset", "10/hour"),  # per client address
            ("password_reset_email", "3/hour"),  # per email address asked for
        ]
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ITSM API",
    "DESCRIPTION": "REST API of the ITSM platform: everything the web UI does.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "AlertStatusEnum": ["firing", "resolved"],
        "NotificationStatusEnum": "itsm.core.choices.NotificationStatus",
        "NotificationEventEnum": "itsm.core.choices.NotificationEvent",
        # Tickets and priority rules; changes have their own impact levels (1–4).
        "ImpactEnum": "itsm.catalog.choices.Impact",
        # Tickets' channels and complaints' (which add instant messaging).
        "ChannelEnum": "itsm.servicedesk.choices.Channel",
        "ComplaintChannelEnum": "itsm.complaints.choices.ComplaintChannel",
        "SurveyChannelEnum": "itsm.surveys.choices.SurveyChannel",
        # Controlled documents: categories' kinds, review decisions, clearance levels
        # (and the other "kind" and "level" choices they share a field name with).
        "DocumentKindEnum": "itsm.documents.choices.DocumentKind",
        "DocumentReviewDecisionEnum": "itsm.documents.choices.ReviewDecision",
        "ClearanceLevelEnum": "itsm.documents.choices.ClearanceLevel",
        "ComplaintLevelEnum": "itsm.complaints.choices.ComplaintLevel",
        "ApproverKindEnum": "itsm.catalog.choices.ApproverKind",
        # People's roles, and the role an approval step of a request type asks for.
        "RoleEnum": "itsm.core.choices.Role",
        "ApprovalDecisionEnum": "itsm.servicedesk.choices.ApprovalDecision",
    },
}

#: The address people use to reach ITSM; links in emails and webhooks start with it.
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")

# --- Service desk ------------------------------------------------------------------
ITSM_DEFAULT_CALENDAR = env("DEFAULT_CALENDAR", "中国标准工作日 09:00–18:00")
#: Roles notified when an SLA breach is escalated to management (second threshold).
ITSM_MANAGEMENT_ROLES = [r for r in env("MANAGEMENT_ROLES", "administrator").split(",") if r]
#: Years a change record is kept; inside them no interface may delete it (CHG-5).
ITSM_CHANGE_RETENTION_YEARS = int(env("CHANGE_RETENTION_YEARS", "5"))
#: Whether the nightly job deletes closed records past their retention period (GEN-7).
ITSM_PURGE_EXPIRED = env_bool("PURGE_EXPIRED")
#: Change scale → approval stages in order (CHG-3); checked by ``itsm check``.
ITSM_CHANGE_APPROVAL_TIERS = json.loads(env("CHANGE_APPROVAL_TIERS", "null")) or {
    "ordinary": ["department_head"],
    "major": ["cab"],
    "particularly_major": ["cab", "senior_management"],
}
#: Days after which a resolved ticket closes by itself; a reply within them reopens it.
ITSM_AUTO_CLOSE_DAYS = int(env("AUTO_CLOSE_DAYS", "7"))
#: Web and job workers load what their first requests would load lazily (core.warmup).
ITSM_WARM_UP = env_bool("WARM_UP", True)
#: Automatic assignment of new tickets within their service's owner team (REQ-3).
ITSM_ASSIGNMENT_STRATEGY = env("ASSIGNMENT_STRATEGY", "least_loaded").strip().lower()
if ITSM_ASSIGNMENT_STRATEGY not in {"least_loaded", "round_robin", "off"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "ITSM_ASSIGNMENT_STRATEGY must be least_loaded, round_robin or off.")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # The huey consumer installs its own handler; don't print its lines twice.
        "huey": {"level": "INFO", "propagate": False},
    },
}

