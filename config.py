"""Settings, read from the environment (docs/settings.md lists them)."""
import json
import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


# Fail closed (docs/security.md): without WAITLESS_ENV the app runs the production configuration, which refuses to
# start without a real SECRET_KEY. Development signs with this key, which is public and so forges nothing that
# matters only because production refuses it.
DEFAULT_ENV = "production"
DEV_SECRET_KEY = "waitless-development-only-key-never-use-it-in-production"
MIN_SECRET_KEY_LENGTH = 32
KNOWN_KEYS = frozenset({DEV_SECRET_KEY, "dev-only-change-me", "test-secret"})  # published in this repository


class ConfigError(RuntimeError):
    """The settings are unsafe or incomplete: the app refuses to start (docs/settings.md)."""


class Config:
    WAITLESS_ENV = DEFAULT_ENV
    SECRET_KEY = None  # from the environment when the app is made; no published default (docs/settings.md)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'waitless.sqlite'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # MariaDB: a pooled connection idle longer than this is pinged before use (app/__init__.py, _tune_mysql)
    DB_PING_IDLE_SECONDS = float(os.environ.get("DB_PING_IDLE_SECONDS", 1))
    # a read replica for searches and other pages that write nothing; one lagging more than
    # DATABASE_REPLICA_MAX_LAG_SECONDS or unreachable is skipped, checked at most every DATABASE_REPLICA_CHECK_SECONDS
    # per process (docs/operations.md, "Read replica")
    DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL") or None
    DATABASE_REPLICA_MAX_LAG_SECONDS = float(os.environ.get("DATABASE_REPLICA_MAX_LAG_SECONDS", 5))
    DATABASE_REPLICA_CHECK_SECONDS = float(os.environ.get("DATABASE_REPLICA_CHECK_SECONDS", 1))
    # answers of specialty searches each process keeps (docs/availability-index.md, "Cached answers"); 0: none
    SLOT_ANSWER_CACHE_SIZE = int(os.environ.get("SLOT_ANSWER_CACHE_SIZE", 4096))
    # how long a process trusts the availability stamps it read before asking again; its own writes count at once
    SLOT_STAMP_CHECK_SECONDS = float(os.environ.get("SLOT_STAMP_CHECK_SECONDS", 0.5))
    # links in messages and the Socket.IO origin; by default the development server's own HOST and PORT
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL") or (
        f"http://{os.environ.get('HOST') or '127.0.0.1'}:{os.environ.get('PORT') or 5000}")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # the longest any login lives, remembered or not: its session row expires then (docs/security.md, "Sessions")
    REMEMBER_COOKIE_DURATION = timedelta(days=_int("REMEMBER_COOKIE_DAYS", 14))
    API_TOKEN_DAYS = _int("API_TOKEN_DAYS", 90)  # lifetime of a new API token
    WTF_CSRF_TIME_LIMIT = 6 * 3600
    HSTS = _bool("HSTS", True)  # sent on HTTPS requests only; development and tests run on plain HTTP
    # requests larger than this are refused with 413 before anything parses them (profile photos are the largest)
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 4 * 1024 * 1024)
    # secure messages (docs/messages.md): an attachment must be smaller than this; the message forms alone accept
    # a request body of this plus MESSAGE_FORM_OVERHEAD_BYTES, everything bigger is refused with 413
    MESSAGE_ATTACHMENT_MAX_BYTES = _int("MESSAGE_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024)
    MESSAGE_FORM_OVERHEAD_BYTES = _int("MESSAGE_FORM_OVERHEAD_BYTES", 256 * 1024)
    MESSAGE_MAX_CHARS = _int("MESSAGE_MAX_CHARS", 5000)  # the text of one message
    # a lock wait or a busy database answers 503 with Retry-After after this long instead of hanging (docs/security.md)
    DB_LOCK_TIMEOUT_SECONDS = _int("DB_LOCK_TIMEOUT_SECONDS", 4)

    # e-mail: without MAIL_SERVER, messages are written as .eml files to MAIL_FOLDER (docs/operations.md)
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Waitless <no-reply@waitless.local>")
    MAIL_FOLDER = os.environ.get("MAIL_FOLDER", str(INSTANCE_DIR / "mail"))

    TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID")
    TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN")
    TWILIO_FROM = os.environ.get("TWILIO_FROM")
    TWILIO_API_BASE = os.environ.get("TWILIO_API_BASE")  # e.g. a local stand-in in tests; default Twilio's own
    TWILIO_TIMEOUT_SECONDS = _int("TWILIO_TIMEOUT_SECONDS", 10)
    MAIL_TIMEOUT_SECONDS = _int("MAIL_TIMEOUT_SECONDS", 10)

    REDIS_URL = os.environ.get("REDIS_URL")
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL")
    CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND")  # default: the broker
    CELERY_QUEUE = os.environ.get("CELERY_QUEUE", "waitless")
    SOCKETIO_MESSAGE_QUEUE = os.environ.get("SOCKETIO_MESSAGE_QUEUE")

    # notifications: the outbox (docs/operations.md)
    OUTBOX_MAX_ATTEMPTS = _int("OUTBOX_MAX_ATTEMPTS", 8)
    OUTBOX_BACKOFF_SECONDS = _int("OUTBOX_BACKOFF_SECONDS", 60)  # 1, 2, 4, 8 ... minutes
    OUTBOX_BACKOFF_CAP_SECONDS = _int("OUTBOX_BACKOFF_CAP_SECONDS", 3600)
    OUTBOX_LEASE_SECONDS = _int("OUTBOX_LEASE_SECONDS", 300)  # an attempt that crashed mid-send is retried after this
    # after a request commits messages, try them at once: thread | inline | celery | off (then the job sends them)
    OUTBOX_DELIVERY = os.environ.get("OUTBOX_DELIVERY", "celery" if CELERY_BROKER_URL else "thread")
    # the no-show model predictions are stored with (docs/noshow.md); unset: no predictions, nothing else changes
    NOSHOW_MODEL = os.environ.get("NOSHOW_MODEL") or None
    NOSHOW_CONFIRM_HOURS = _int("NOSHOW_CONFIRM_HOURS", 72)  # high-risk bookings: confirm-or-release request; 0: off
    REMINDER_HOURS = tuple(int(h) for h in os.environ.get("REMINDER_HOURS", "24,2").split(",") if h.strip())
    NOTIFY_SMS = _bool("NOTIFY_SMS", True)
    STAFF_NOTICE_EMAIL = _bool("STAFF_NOTICE_EMAIL", True)  # staff and doctors also get their notices by e-mail
    WAITLIST_OFFERS_AT_ONCE = _int("WAITLIST_OFFERS_AT_ONCE", 3)  # patients offered one freed slot at the same time
    WAITLIST_MAX_OPEN_OFFERS = _int("WAITLIST_MAX_OPEN_OFFERS", 2)  # open offers one patient holds at most
    # the region's optimiser weights over the defaults, as JSON ({"per_km": 1}); docs/optimiser.md, "Weights"
    OPTIMISER_WEIGHTS = json.loads(os.environ.get("OPTIMISER_WEIGHTS") or "{}")
    # the region's "best for you" weights over the defaults, as JSON ({"preference": 0.5}); docs/optimiser.md
    BEST_FIT_WEIGHTS = json.loads(os.environ.get("BEST_FIT_WEIGHTS") or "{}")
    # payments through Stripe (docs/payments.md): without a key every hospital's payment is off
    STRIPE_API_KEY = os.environ.get("STRIPE_API_KEY")
    STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY")  # what Stripe.js on the pay page is given
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE")  # localstripe in tests; default: Stripe
    STRIPE_JS_URL = os.environ.get("STRIPE_JS_URL")  # default https://js.stripe.com/v3/, or STRIPE_API_BASE's mock
    STRIPE_TIMEOUT_SECONDS = _int("STRIPE_TIMEOUT_SECONDS", 10)
    STRIPE_WEBHOOK_TOLERANCE_SECONDS = _int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", 300)

    # federation (docs/federation.md): how long a source may take, how much it may send, how hard sync tries
    FEDERATION_TIMEOUT_SECONDS = float(os.environ.get("FEDERATION_TIMEOUT_SECONDS", "10"))
    FEDERATION_MAX_BYTES = _int("FEDERATION_MAX_BYTES", 20 * 1024 * 1024)  # one answer or file, at most
    FEDERATION_MAX_SLOTS = _int("FEDERATION_MAX_SLOTS", 20000)  # slots kept per source per sync
    FEDERATION_RETRIES = _int("FEDERATION_RETRIES", 3)  # attempts per request (tenacity)
    FEDERATION_RETRY_WAIT_SECONDS = float(os.environ.get("FEDERATION_RETRY_WAIT_SECONDS", "1"))  # first backoff
    FEDERATION_BREAKER_FAILURES = _int("FEDERATION_BREAKER_FAILURES", 3)  # failed syncs in a row open the circuit
    FEDERATION_BREAKER_MINUTES = _int("FEDERATION_BREAKER_MINUTES", 10)  # how long an open circuit stays open

    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # the limits' Redis down: count in this process's memory until it is back, rather than answer 500
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = _bool("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    # failed logins per (account, client address): after LOGIN_THROTTLE_FREE failures within the window the pair
    # waits 2, 4, 8 ... seconds (at most LOGIN_THROTTLE_MAX_SECONDS) between tries (docs/security.md, "Logins")
    LOGIN_THROTTLE_FREE = _int("LOGIN_THROTTLE_FREE", 5)
    LOGIN_THROTTLE_WINDOW_SECONDS = _int("LOGIN_THROTTLE_WINDOW_SECONDS", 900)
    LOGIN_THROTTLE_MAX_SECONDS = _int("LOGIN_THROTTLE_MAX_SECONDS", 900)
    # proxies in front of the app whose X-Forwarded-For / -Proto are believed; 0: forwarded headers are ignored
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)

    BABEL_DEFAULT_LOCALE = os.environ.get("BABEL_DEFAULT_LOCALE", "en")
    BABEL_DEFAULT_TIMEZONE = "UTC"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    LANGUAGES = ("en", "de")

    # argon2id parameters (OWASP minimum); TestConfig lowers them for speed
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    JOBS_ENABLED = _bool("JOBS_ENABLED", False)
    DEV_MAIL_VIEWER = False  # /dev/mail: development only, loopback clients only (docs/security.md)
    API_TITLE = "Waitless API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"


    def __init__(self):
        # read when the app is made, not when this module was imported, so a test or a shell sees its environment
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or None

    @classmethod
    def check(cls, settings: dict) -> None:
        """Refuse settings this environment must not run with (ConfigError); the base checks nothing."""


class DevelopmentConfig(Config):
    WAITLESS_ENV = "development"
    HSTS = False
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    DEV_MAIL_VIEWER = _bool("DEV_MAIL_VIEWER", True)

    def __init__(self):
        # its own key, known to everyone who reads this file: create_app says so in the log
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or DEV_SECRET_KEY


class TestConfig(DevelopmentConfig):
    WAITLESS_ENV = "testing"
    TESTING = True
    DB_LOCK_TIMEOUT_SECONDS = 10  # racing tests queue many writers; the locked-database test lowers it
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    DATABASE_REPLICA_URL = None  # tests/integration/test_replica.py starts its own pair
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    WTF_CSRF_ENABLED = False
    LOGIN_RATE_LIMIT = "1000 per minute"  # tests that check limits lower it for themselves
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    DEV_MAIL_VIEWER = True
    MAIL_SERVER = None
    PUBLIC_BASE_URL = "http://localhost"
    OUTBOX_DELIVERY = "inline"  # deterministic: the request's messages are tried before the test reads them
    STAFF_NOTICE_EMAIL = False  # tests count the patient's messages; test_notices turns staff e-mail on itself
    TWILIO_ACCOUNT_SID = None
    FEDERATION_RETRY_WAIT_SECONDS = 0  # retries without waiting: the tests never sleep
    FEDERATION_TIMEOUT_SECONDS = 5

    def __init__(self):
        self.SECRET_KEY = "test-secret"  # never accepted by production (KNOWN_KEYS)


class ProductionConfig(Config):
    WAITLESS_ENV = "production"
    DEBUG = False
    DEV_MAIL_VIEWER = False

    @classmethod
    def check(cls, settings: dict) -> None:
        key = settings.get("SECRET_KEY")
        hint = ("set SECRET_KEY to a random value of at least 32 characters, e.g. "
                "python3 -c 'import secrets; print(secrets.token_hex(32))', or set WAITLESS_ENV=development "
                "to try Waitless on this machine (docs/settings.md)")
        if not key:
            raise ConfigError(f"SECRET_KEY is not set and WAITLESS_ENV is production: {hint}")
        if not isinstance(key, str | bytes) or len(key) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError(f"SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters: {hint}")
        if key in KNOWN_KEYS:
            raise ConfigError(f"SECRET_KEY is a key published in the source code: {hint}")
        if settings.get("DEV_MAIL_VIEWER"):
            raise ConfigError("DEV_MAIL_VIEWER must be off in production: /dev/mail shows every e-mail sent")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestConfig,
    "production": ProductionConfig,
}
