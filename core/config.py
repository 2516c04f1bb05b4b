"""Configuration: one TOML file, validated once at start-up.

Order of precedence: built-in defaults < the TOML file (`HCP_CONFIG`, else
`./config.toml` if present) < environment (`HCP_<SECTION>_<KEY>`, plus the
short aliases below) < the override mapping passed to `create_app()` (tests).
A bad file or value raises `ConfigError` naming the key and the problem.
"""

import base64
import binascii
import os
import re
import tomllib
from collections.abc import Mapping
from urllib.parse import urlparse

# Every key the product knows, with its default. The type of the default is
# the type a value must have; `config.example.toml` documents each key.
DEFAULTS: dict = {
    "app": {
        "secret_key": "",
        "base_url": "http://127.0.0.1:5000",
        "max_body_kb": 2048,
        "log_level": "INFO",
        # "text" for a terminal, "json" (one object a line) for a log collector.
        "log_format": "text",
        # Strict-Transport-Security max-age sent with every answer; 0 = none (set it behind HTTPS).
        "hsts_seconds": 0,
        # Once the app is built, keep what start-up made out of the garbage collector's walks
        # (gc.freeze, app.py). Tests turn it off: they build an app per test.
        "freeze_heap": True,
    },
    "metrics": {
        # Who may scrape /metrics: these client addresses, or anyone with the bearer token.
        "allowed_ips": ["127.0.0.1", "::1"],
        "token": "",
    },
    "database": {
        "url": "sqlite:///instance/hcp.db",
        "pool_size": 16,
        # PostgreSQL: run the hot paths' SQL as server-side prepared statements (PREPARE once
        # per connection). Turn off behind a pooler that hands one session's statements to
        # several server connections (PgBouncer in transaction pooling).
        "prepared_statements": True,
    },
    "ratings": {
        # Case-less on-site ratings (a window's QR code, the mini program's scene): see
        # config.example.toml for the reasoning behind each number, and the hall simulation
        # (tests/ratings/test_hall.py) that measures them.
        "onsite_daily_limit": 3,
        "onsite_network_daily_limit": 80,
        "onsite_window_limit": 10,
        "onsite_window_minutes": 10,
        "otp_minutes": 10,
        "addendum_days": 15,
        "comment_max_length": 500,
        "rating_window_days": 30,
        # 系统默认评价 (some provinces): a completed case nobody rated after this many days
        # gets 基本满意 from the system, marked as such. 0 = off (the default).
        "default_rating_days": 0,
    },
    "sms": {
        "provider": "console",
        "sign_name": "鄠邑政务服务",
        "callback_token": "",
        "quiet_hours": ["21:00", "08:00"],
        "invite_delay_minutes": 0,
        "daily_cap_per_phone": 3,
        "reminder_after_days": 3,
        # Processes that drain the inbox side by side, each taking its own phones (sms/lanes.py;
        # on SQLite they share its one writer, each holding it for its chunk's writes only). A
        # lane waits for the database part of the time: a few more lanes than cores (2 cores,
        # PostgreSQL: 10,000 replies in 5.4–6.1 s with 2 lanes, 5.0–5.2 s with 3; bench/README).
        "inbox_lanes": 3,
        "aliyun": {
            "access_key_id": "",
            "access_key_secret": "",
            "endpoint": "dysmsapi.aliyuncs.com",
            "protocol": "https",
            "invite_template": "SMS_000000001",
            "reminder_template": "SMS_000000002",
            "message_template": "SMS_000000003",
            "otp_template": "SMS_000000004",
            "region_id": "cn-hangzhou",
            "connect_timeout_seconds": 3,
            "read_timeout_seconds": 5,
            # SendSms calls per second this deployment may make (Aliyun's limit is per account,
            # 5000/s; leave room for other systems sharing the account), and at most this many
            # at once: each waits for the network, so a morning's invitations leave in parallel.
            "qps": 1000,
            "concurrency": 16,
        },
    },
    "wechat": {
        "appid": "",
        "secret": "",
        "api_base": "https://api.weixin.qq.com",
        # "wechat": the real API at api_base (fail-safe default: a config that names no provider
        # never runs the fake, which lets anyone log in with any code); "fake": an in-process
        # fake of the WeChat API, for the demo only (bin/serve sets it; /healthz and the admin say so).
        "provider": "wechat",
        "timeout_seconds": 5,
        "session_ttl_hours": 72,
        "rate_page": "pages/rate/index",
        "env_version": "release",
        "check_path": True,
        "reply_template": {
            "id": "",
            "page": "pages/mine/index",
            "item_key": "thing1",
            "state_key": "phrase2",
            "reply_key": "thing3",
            "time_key": "time4",
        },
    },
    "upstream": {
        "enabled": False,
        "url": "",
        "app_id": "",
        "app_secret": "",
        "area_code": "610118",
        "data_source": "",
        # The field-mapping profile (see upstream/profile.py); the defaults are
        # the contract's default profile.
        "signing": "hmac-sha256",
        "sm2_private_key": "",
        "sm2_public_key": "",
        "sm4_key": "",
        "satisfaction_order": "5_best",
        # The record's fields for an appeal's correction, as the province names them: 1 for an
        # adopted rating, 0 with the reason for one left out; the change number lets the city
        # keep the latest of several deliveries under one evalId.
        "effective_field": "effective",
        "invalid_reason_field": "invalidReason",
        "change_field": "changeNo",
        "label_codes": [],
        "query_url": "",
        "batch_size": 50,
        "timeout_seconds": 10,
        "retries": 2,
        "backoff_seconds": 5,
        "backoff_max_seconds": 600,
        "reconcile_days": 3,
        "pf": {
            "pc": 1,
            "wechat": 2,
            "qr": 3,
            "pad": 4,
            "kiosk": 5,
            "paper": 5,
            "phone": 6,
            "sms": 7,
            "h5": 7,
            # A system default rating (ratings.default_rating_days); Zhejiang's 7 = 系统默认评价.
            "default": 7,
        },
    },
    "jobs": {
        "threads": 8,
        "misfire_grace_seconds": 60,
        "lock_poll_seconds": 5,
        # How often the scheduler checks that it still holds its lock (and writes its heartbeat).
        "watchdog_seconds": 15,
        "disabled": [],
        "intervals": [],
    },
    "rectification": {
        "deadline_working_days": 5,
        # Holidays and make-up working days announced after the calendar
        # library's release, as ISO dates.
        "extra_holidays": [],
        "extra_workdays": [],
        # The citizen should be called back (核实) within this many working days.
        "verification_call_working_days": 1,
        # Staff are reminded this many hours before a deadline (daily while it runs).
        "reminder_lead_hours": 24,
        # The 回访 question goes this long after the reply, so the reply is read first.
        "followup_delay_hours": 24,
        # An SMS 回访 answer is matched this long; after it, staff phone instead.
        "followup_answer_days": 3,
        # The 回访 options offered, in order (the SMS numbers them 1, 2, …).
        "followup_scale": ["satisfied", "basically_satisfied", "unsatisfied"],
        # Whether 基本满意 counts as satisfied in 回访整改满意率.
        "basically_satisfied_counts": True,
        # Who records the 回访 of a replied 差评: "bureau" (the seed: 区行政审批局 leads it,
        # so a department never grades its own rectification) or "department".
        "followup_by": "bureau",
    },
    "admin": {
        # Secure-only session cookie: true behind HTTPS (production), false on http://127.0.0.1.
        "session_cookie_secure": False,
        "session_hours": 8,
        "max_failed_logins": 5,
        "lockout_minutes": 15,
    },
    "figures": {
        # Whether 基本满意 counts as 好评. The seed: five levels, "后两个等级为差评", so
        # 非常满意, 满意 and 基本满意 are 好评 (true); false for provinces that count 5 and 4 only.
        "good_includes_basic": True,
        # Rankings leave out units with fewer counted ratings than this.
        "min_ranking_sample": 30,
        # The dashboard opens on the current month once it has this many counted ratings
        # (in the user's scope), else on the last complete month.
        "current_month_min_rated": 100,
        # Commend lists: the best units / staff by 好评率 over at least this many ratings.
        "commend_count": 5,
        "commend_staff_min_sample": 10,
        # Attention list: staff with at least this many 差评 within the last repeat_bad_days days.
        "repeat_bad_count": 3,
        "repeat_bad_days": 90,
        # The problem analysis reads at most this many comments per scope and month (newest first).
        "analysis_max_comments": 5000,
    },
    "month": {
        # The monthly cycle (seed: 每月30日前报送): reminders from remind_day, the month closed
        # (its figures frozen) on close_day at close_time, Beijing time. A month shorter than
        # close_day closes on its last day.
        "remind_day": 25,
        "close_day": 30,
        "close_time": "23:00",
        # Also remind the unit's business contact by SMS (an outbox row), not only in the admin.
        "remind_sms": True,
    },
    "assessment": {
        # 考核 (区营商办): score = Σ weight × indicator (%) ÷ 100 − deductions; weights sum to 100.
        "weights": {
            "good_rate": 40,
            "participation_rate": 10,
            "reply_rate": 15,
            "followup_rate": 15,
            "followup_satisfied_rate": 10,
            "on_time_rate": 10,
        },
        # Deducted per 差评 ticket overdue (not resolved by its deadline) at scoring, up to the maximum.
        "overdue_penalty": 2,
        "overdue_penalty_max": 10,
    },
    "public": {
        # The footer of /public/results (主办单位, ICP 备案号, contact).
        "organizer": "西安市鄠邑区行政审批服务局",
        "icp_number": "",
        "contact": "",
    },
    "pii": {
        # Encryption keys for personal data at rest, "<id>:<base64 of 32 bytes>";
        # the first encrypts, every listed one decrypts (rotation). Env HCP_PII_KEYS
        # (comma-separated). Empty: a local key kept in instance/ (local runs only).
        "keys": [],
        # The HMAC key of the lookup hashes (base64 of 32 bytes); env HCP_PII_LOOKUP_KEY.
        "lookup_key": "",
        # Applicant names, phones and ID numbers are cleared this many days after
        # the case is completed (and its ticket closed); ratings and figures stay.
        "retention_days": 365,
    },
    "limits": {
        # Rate limits on every public endpoint (Flask-Limiter). memory:// counts per
        # process; with several gunicorn workers use redis://127.0.0.1:6379/0.
        "enabled": True,
        "storage_uri": "memory://",
        "strategy": "fixed-window",
        "key_prefix": "hcp",
        # Reverse proxies in front of the app whose X-Forwarded-For is trusted (nginx: 1).
        "proxy_hops": 0,
        "web_ip": "300/minute",
        "web_rater": "30/minute;200/day",
        "web_phone": "20/day",
        "web_otp_ip": "60/hour",
        "wx_login_ip": "60/minute",
        "wx_user": "120/minute",
        "sms_ip": "1200/minute",
        "sms_phone": "10/hour;30/day",
        "api_key": "6000/minute",
        "admin_login_ip": "20/minute;200/hour",
        "public_ip": "300/minute",
        # The posters (drawn once per change of the hall, then read back) on top of public_ip.
        "heavy_ip": "20/minute",
    },
    "fraud": {
        # A tablet (pad) rating this soon after the case's completion is flagged.
        "pad_min_seconds": 10,
        # More than burst_count ratings of one level from one rater (a device: per
        # window) within burst_minutes are flagged from the next one on.
        "burst_count": 5,
        "burst_minutes": 10,
        # Case-less on-site ratings at one window from one network: more than network_burst_count
        # within network_burst_minutes, network_burst_share % or more of them one level, are a
        # burst (the pattern, whichever browsers or users they came from).
        "network_burst_count": 6,
        "network_burst_minutes": 5,
        "network_burst_share": 80,
    },
}

# The [limits] keys that are rate-limit strings ("N/second|minute|hour|day", ";" between several).
_LIMITS_OPTIONS = ("enabled", "storage_uri", "strategy", "key_prefix", "proxy_hops")
LIMIT_KEYS = tuple(k for k in DEFAULTS["limits"] if k not in _LIMITS_OPTIONS)

# Short environment names promised by the public contract.
ENV_ALIASES = {
    "HCP_SECRET_KEY": ("app", "secret_key"),
    "HCP_DATABASE_URL": ("database", "url"),
}

CHOICES = {
    ("sms", "provider"): {"console", "aliyun"},
    ("sms", "aliyun", "protocol"): {"http", "https"},
    ("app", "log_level"): {"DEBUG", "INFO", "WARNING", "ERROR"},
    ("app", "log_format"): {"text", "json"},
    ("wechat", "provider"): {"fake", "wechat"},
    ("wechat", "env_version"): {"release", "trial", "develop"},
    ("upstream", "signing"): {"hmac-sha256", "hmac-sm3", "sm2-sm3", "sm2-sm3+sm4"},
    ("upstream", "satisfaction_order"): {"5_best", "1_best"},
    ("limits", "strategy"): {"fixed-window", "moving-window", "sliding-window-counter"},
    ("rectification", "followup_by"): {"bureau", "department"},
}

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PAIR = re.compile(r"^[\w.\-]{1,64}=[\w.\-]{1,64}$")
_HEX = re.compile(r"^[0-9a-fA-F]*$")
_PII_KEY_ID = re.compile(r"^[A-Za-z0-9_\-]{1,16}$")
PII_KEY_BYTES = 32


class ConfigError(Exception):
    """A configuration file or value that the product cannot start with."""


class Section(Mapping):
    """A read-only mapping whose keys are also attributes (`cfg.sms.provider`)."""

    def __init__(self, data: dict):
        self._data = {k: Section(v) if isinstance(v, dict) else v for k, v in data.items()}

    def __getattr__(self, name):
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)

    def to_dict(self) -> dict:
        return {k: v.to_dict() if isinstance(v, Section) else v for k, v in self._data.items()}


def load(overrides: Mapping | None = None, environ: Mapping | None = None) -> Section:
    """Build the validated settings from defaults, file, environment and overrides."""
    environ = os.environ if environ is None else environ
    merged = _copy(DEFAULTS)
    path = environ.get("HCP_CONFIG") or ("config.toml" if os.path.exists("config.toml") else None)
    if path:
        _merge(merged, _read_file(path), (), source=path)
    _merge(merged, _from_environ(environ), (), source="environment")
    if overrides:
        _merge(merged, _copy(dict(overrides)), (), source="overrides")
    _validate(merged)
    return Section(merged)


def current_settings() -> Section:
    """The settings of the app in whose context the caller runs (a request, a job,
    a command): the one way the domain and the channels read configuration."""
    from flask import current_app

    return current_app.config["SETTINGS"]


def _read_file(path: str) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"configuration file {path!r} (HCP_CONFIG) does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration file {path!r} is not valid TOML: {exc}") from None


def _from_environ(environ: Mapping) -> dict:
    found: dict = {}
    for name, keypath in ENV_ALIASES.items():
        if environ.get(name):
            _set(found, keypath, environ[name])
    for keypath, default in _leaves(DEFAULTS, ()):
        name = "HCP_" + "_".join(keypath).upper()
        if name in environ and name not in ENV_ALIASES:
            _set(found, keypath, _coerce_env(name, environ[name], default))
    for old, new in RENAMED.items():
        name = "HCP_" + "_".join(old).upper()
        keypath = old[:-1] + (new,)
        if name in environ and new not in found.get(old[0], {}):
            _set(found, keypath, _coerce_env(name, environ[name], _get(DEFAULTS, keypath)))
    return found


def _coerce_env(name: str, raw: str, default):
    """Environment values are strings; read them as the type of the default."""
    if isinstance(default, bool):
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(f"{name}: expected true or false, got {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name}: expected an integer, got {raw!r}") from None
    if isinstance(default, list):
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


# Keys renamed so that one word has one meaning (追评 is an addendum, not a
# follow-up; a callback is Aliyun's webhook, not the phone call): the old names
# are still read, deprecated.
RENAMED = {
    ("ratings", "followup_days"): "addendum_days",
    ("rectification", "callback_working_days"): "verification_call_working_days",
}


def _merge(target: dict, incoming: dict, prefix: tuple, source: str) -> None:
    for key, value in incoming.items():
        if prefix + (key,) in RENAMED:
            new = RENAMED[prefix + (key,)]
            if new in incoming:
                raise ConfigError(f"{'.'.join(prefix + (key,))}: deprecated name of {new}; give only {new}")
            key = new
        keypath = prefix + (key,)
        dotted = ".".join(keypath)
        if key not in target:
            raise ConfigError(f"{dotted}: unknown key in {source}")
        if isinstance(target[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{dotted}: expected a table, got {type(value).__name__}")
            _merge(target[key], value, keypath, source)
        else:
            target[key] = value


def _validate(cfg: dict) -> None:
    for keypath, default in _leaves(DEFAULTS, ()):
        value = _get(cfg, keypath)
        dotted = ".".join(keypath)
        expected = type(default)
        if expected is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise ConfigError(f"{dotted}: expected an integer, got {value!r}")
        if expected is not int and not isinstance(value, expected):
            raise ConfigError(f"{dotted}: expected {expected.__name__}, got {value!r}")
        if keypath in CHOICES and value not in CHOICES[keypath]:
            allowed = ", ".join(sorted(CHOICES[keypath]))
            raise ConfigError(f"{dotted}: {value!r} is not one of {allowed}")
    _check_url(cfg["database"]["url"], "database.url", {"sqlite", "postgresql", "postgres"})
    _check_url(cfg["app"]["base_url"], "app.base_url", {"http", "https"})
    if cfg["upstream"]["enabled"]:
        _check_url(cfg["upstream"]["url"], "upstream.url", {"http", "https"})
        if not cfg["upstream"]["app_secret"]:
            raise ConfigError("upstream.app_secret: required when upstream.enabled (or env HCP_UPSTREAM_APP_SECRET)")
    _validate_upstream(cfg["upstream"])
    _validate_jobs(cfg["jobs"])
    _validate_pii(cfg["pii"], cfg["ratings"]["rating_window_days"])
    _validate_metrics(cfg["metrics"])
    _validate_limits(cfg["limits"])
    quiet = cfg["sms"]["quiet_hours"]
    if quiet and (len(quiet) != 2 or not all(isinstance(t, str) and _HHMM.match(t) for t in quiet)):
        raise ConfigError(f'sms.quiet_hours: expected [] or ["HH:MM", "HH:MM"], got {quiet!r}')
    if cfg["sms"]["callback_token"] and not re.match(r"^[A-Za-z0-9_\-]{16,128}$", cfg["sms"]["callback_token"]):
        raise ConfigError("sms.callback_token: expected 16–128 letters, digits, - or _ (a long random secret)")
    for key in ("invite_template", "reminder_template", "message_template", "otp_template"):
        if not re.match(r"^SMS_\d{3,20}$", cfg["sms"]["aliyun"][key]):
            raise ConfigError(f"sms.aliyun.{key}: {cfg['sms']['aliyun'][key]!r} is not an Aliyun template code (SMS_…)")
    if cfg["sms"]["provider"] == "aliyun":
        for key in ("access_key_id", "access_key_secret"):
            if not cfg["sms"]["aliyun"][key]:
                env = "HCP_SMS_ALIYUN_" + key.upper()
                raise ConfigError(f"sms.aliyun.{key}: required when sms.provider is aliyun (or env {env})")
    if cfg["wechat"]["provider"] == "wechat":
        _check_url(cfg["wechat"]["api_base"], "wechat.api_base", {"http", "https"})
        # Neither appid nor secret: WeChat is not configured, and its endpoints say so (503); one
        # without the other is a mistake.
        if bool(cfg["wechat"]["appid"]) != bool(cfg["wechat"]["secret"]):
            missing, given = ("secret", "appid") if cfg["wechat"]["appid"] else ("appid", "secret")
            env = "HCP_WECHAT_" + missing.upper()
            raise ConfigError(f"wechat.{missing}: required with wechat.{given} (or env {env})")
    if cfg["wechat"]["rate_page"].startswith("/") or "?" in cfg["wechat"]["rate_page"]:
        raise ConfigError("wechat.rate_page: a mini-program page path without a leading / or a query")
    for key in ("extra_holidays", "extra_workdays"):
        for day in cfg["rectification"][key]:
            if not isinstance(day, str) or not _DATE.match(day):
                raise ConfigError(f"rectification.{key}: {day!r} is not a YYYY-MM-DD date")
    _check_followup_scale(cfg["rectification"]["followup_scale"])
    if not _HHMM.match(cfg["month"]["close_time"]):
        raise ConfigError(f"month.close_time: expected HH:MM, got {cfg['month']['close_time']!r}")
    if cfg["month"]["remind_day"] > cfg["month"]["close_day"]:
        raise ConfigError("month.remind_day: must not be after month.close_day")
    _validate_assessment(cfg["assessment"])
    for key, value in cfg["public"].items():
        if len(value) > 200:
            raise ConfigError(f"public.{key}: at most 200 characters")
    days = cfg["ratings"]["default_rating_days"]
    if days and not 1 <= days < cfg["ratings"]["rating_window_days"]:
        raise ConfigError(
            f"ratings.default_rating_days: {days} must be 0 (off) or 1..{cfg['ratings']['rating_window_days'] - 1} "
            "(within ratings.rating_window_days)"
        )
    for keypath, low, high in (
        (("app", "max_body_kb"), 1, 65536),
        (("app", "hsts_seconds"), 0, 2 * 365 * 24 * 3600),
        (("database", "pool_size"), 1, 200),
        (("ratings", "onsite_daily_limit"), 1, 100),
        (("ratings", "onsite_network_daily_limit"), 1, 1000),
        (("ratings", "onsite_window_limit"), 1, 1000),
        (("ratings", "onsite_window_minutes"), 1, 24 * 60),
        (("ratings", "otp_minutes"), 1, 60),
        (("ratings", "addendum_days"), 1, 365),
        (("ratings", "comment_max_length"), 10, 5000),
        (("ratings", "rating_window_days"), 1, 365),
        (("sms", "invite_delay_minutes"), 0, 7 * 24 * 60),
        (("sms", "daily_cap_per_phone"), 1, 50),
        (("sms", "reminder_after_days"), 1, 60),
        (("sms", "inbox_lanes"), 1, 16),
        (("sms", "aliyun", "connect_timeout_seconds"), 1, 60),
        (("sms", "aliyun", "read_timeout_seconds"), 1, 120),
        (("sms", "aliyun", "qps"), 1, 5000),
        (("sms", "aliyun", "concurrency"), 1, 64),
        (("rectification", "deadline_working_days"), 1, 60),
        (("rectification", "verification_call_working_days"), 1, 10),
        (("rectification", "reminder_lead_hours"), 1, 240),
        (("rectification", "followup_delay_hours"), 0, 240),
        (("rectification", "followup_answer_days"), 1, 30),
        (("wechat", "timeout_seconds"), 1, 60),
        (("wechat", "session_ttl_hours"), 1, 24 * 30),
        (("admin", "session_hours"), 1, 72),
        (("admin", "max_failed_logins"), 1, 100),
        (("admin", "lockout_minutes"), 1, 1440),
        (("figures", "min_ranking_sample"), 1, 10000),
        (("figures", "current_month_min_rated"), 0, 1000000),
        (("figures", "commend_count"), 1, 100),
        (("figures", "commend_staff_min_sample"), 1, 10000),
        (("figures", "repeat_bad_count"), 2, 100),
        (("figures", "repeat_bad_days"), 1, 366),
        (("figures", "analysis_max_comments"), 100, 100000),
        (("month", "remind_day"), 1, 31),
        (("month", "close_day"), 1, 31),
        (("fraud", "pad_min_seconds"), 0, 3600),
        (("fraud", "burst_count"), 1, 1000),
        (("fraud", "burst_minutes"), 1, 24 * 60),
        (("fraud", "network_burst_count"), 1, 1000),
        (("fraud", "network_burst_minutes"), 1, 24 * 60),
        (("fraud", "network_burst_share"), 1, 100),
    ):
        value = _get(cfg, keypath)
        if not low <= value <= high:
            raise ConfigError(f"{'.'.join(keypath)}: {value} is outside {low}..{high}")


def _validate_assessment(assessment: dict) -> None:
    weights = assessment["weights"]
    if any(isinstance(w, bool) or not isinstance(w, int) or w < 0 for w in weights.values()):
        raise ConfigError("assessment.weights: every weight is a whole number ≥ 0")
    if sum(weights.values()) != 100:
        raise ConfigError(f"assessment.weights: the weights must add up to 100, not {sum(weights.values())}")
    if not 0 <= assessment["overdue_penalty"] <= 100 or not 0 <= assessment["overdue_penalty_max"] <= 100:
        raise ConfigError("assessment.overdue_penalty, overdue_penalty_max: 0..100 points")


def _validate_metrics(metrics: dict) -> None:
    import ipaddress

    for address in metrics["allowed_ips"]:
        try:
            ipaddress.ip_network(address, strict=False)
        except (TypeError, ValueError):
            raise ConfigError(f"metrics.allowed_ips: {address!r} is not an IP address or network") from None
    if metrics["token"] and len(metrics["token"]) < 16:
        raise ConfigError("metrics.token: at least 16 characters (a long random secret), or empty")


_FOLLOWUP_OPTIONS = ("satisfied", "basically_satisfied", "unsatisfied")


def _check_followup_scale(scale: list) -> None:
    if (
        not all(isinstance(x, str) for x in scale)
        or len(set(scale)) != len(scale)
        or not set(scale) <= set(_FOLLOWUP_OPTIONS)
    ):
        raise ConfigError(f"rectification.followup_scale: {scale!r} must list distinct options of {_FOLLOWUP_OPTIONS}")
    if "satisfied" not in scale or "unsatisfied" not in scale:
        raise ConfigError("rectification.followup_scale: must offer satisfied and unsatisfied")


_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")


def _validate_upstream(up: dict) -> None:
    names = [up[key] for key in ("effective_field", "invalid_reason_field", "change_field")]
    for key, name in zip(("effective_field", "invalid_reason_field", "change_field"), names, strict=True):
        if not _FIELD_NAME.match(name):
            raise ConfigError(f"upstream.{key}: {name!r} is not a field name (letters, digits, _)")
    if len(set(names)) != len(names):
        raise ConfigError("upstream.effective_field, invalid_reason_field and change_field must differ")
    for channel, code in up["pf"].items():
        if isinstance(code, bool) or not isinstance(code, int) or not 1 <= code <= 7:
            raise ConfigError(f"upstream.pf.{channel}: expected a pf code 1..7, got {code!r}")
    for pair in up["label_codes"]:
        if not isinstance(pair, str) or not _PAIR.match(pair):
            raise ConfigError(f'upstream.label_codes: {pair!r} is not "ours=theirs"')
    if up["query_url"]:
        _check_url(up["query_url"], "upstream.query_url", {"http", "https"})
    if up["signing"].startswith("sm2") and up["enabled"]:
        for key, size in (("sm2_private_key", 64), ("sm2_public_key", 128)):
            if len(up[key]) != size or not _HEX.match(up[key]):
                raise ConfigError(f"upstream.{key}: {size} hex digits required for signing {up['signing']}")
    if up["signing"].endswith("+sm4") and up["enabled"] and (len(up["sm4_key"]) != 32 or not _HEX.match(up["sm4_key"])):
        raise ConfigError("upstream.sm4_key: 32 hex digits (128 bits) required for SM4 body encryption")
    for key, low, high in (
        ("batch_size", 1, 500),
        ("timeout_seconds", 1, 120),
        ("retries", 0, 10),
        ("backoff_seconds", 1, 3600),
        ("backoff_max_seconds", 1, 86400),
        ("reconcile_days", 1, 31),
    ):
        if not low <= up[key] <= high:
            raise ConfigError(f"upstream.{key}: {up[key]} is outside {low}..{high}")


def _validate_jobs(jobs: dict) -> None:
    for key, low, high in (
        ("threads", 1, 64),
        ("misfire_grace_seconds", 1, 86400),
        ("lock_poll_seconds", 1, 300),
        ("watchdog_seconds", 1, 300),
    ):
        if not low <= jobs[key] <= high:
            raise ConfigError(f"jobs.{key}: {jobs[key]} is outside {low}..{high}")
    for pair in jobs["intervals"]:
        seconds = pair.split("=")[1] if isinstance(pair, str) and _PAIR.match(pair) else ""
        if not (seconds.isascii() and seconds.isdigit()):
            raise ConfigError(f'jobs.intervals: {pair!r} is not "job-id=seconds"')
        if int(pair.split("=")[1]) < 1:
            raise ConfigError(f"jobs.intervals: {pair!r} must be at least 1 second")
    for job_id in jobs["disabled"]:
        if not isinstance(job_id, str):
            raise ConfigError(f"jobs.disabled: {job_id!r} is not a job id")


def decode_pii_secret(text: str) -> bytes | None:
    """The 32 bytes of a base64 (standard or URL-safe) secret, or None when it is not one."""
    try:
        raw = base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == PII_KEY_BYTES else None


def parse_pii_key(entry) -> tuple[str, bytes] | None:
    """("<id>", key bytes) of a `pii.keys` entry "<id>:<base64>", or None when malformed."""
    if not isinstance(entry, str) or ":" not in entry:
        return None
    key_id, _, secret = entry.strip().partition(":")
    raw = decode_pii_secret(secret.strip())
    return (key_id, raw) if _PII_KEY_ID.match(key_id) and raw is not None else None


def _validate_pii(pii: dict, rating_window_days: int) -> None:
    # Messages name the key and its position, never the secret itself.
    seen = set()
    for position, entry in enumerate(pii["keys"], start=1):
        parsed = parse_pii_key(entry)
        if parsed is None:
            raise ConfigError(
                f'pii.keys: entry {position} is not "<id>:<base64 of 32 bytes>" '
                "(id: 1–16 letters, digits, - or _; `flask pii new-key` prints one)"
            )
        if parsed[0] in seen:
            raise ConfigError(f"pii.keys: key id {parsed[0]!r} is listed twice")
        seen.add(parsed[0])
    if pii["lookup_key"] and decode_pii_secret(pii["lookup_key"]) is None:
        raise ConfigError("pii.lookup_key: expected base64 of 32 bytes (or env HCP_PII_LOOKUP_KEY)")
    if pii["keys"] and not pii["lookup_key"]:
        raise ConfigError("pii.lookup_key: required when pii.keys is set (or env HCP_PII_LOOKUP_KEY)")
    if pii["lookup_key"] and not pii["keys"]:
        raise ConfigError("pii.keys: required when pii.lookup_key is set (or env HCP_PII_KEYS)")
    if not rating_window_days < pii["retention_days"] <= 3650:
        raise ConfigError(
            f"pii.retention_days: {pii['retention_days']} is outside {rating_window_days + 1}..3650 "
            "(longer than ratings.rating_window_days)"
        )


def _validate_limits(lim: dict) -> None:
    from limits import parse_many

    if not re.match(r"^(memory|redis|rediss|redis\+unix|redis\+sentinel|redis\+cluster)://", lim["storage_uri"]):
        raise ConfigError(f"limits.storage_uri: {lim['storage_uri']!r} must be memory:// or a redis:// URL")
    if not re.match(r"^[A-Za-z0-9_\-]{1,32}$", lim["key_prefix"]):
        raise ConfigError("limits.key_prefix: 1–32 letters, digits, - or _")
    if not 0 <= lim["proxy_hops"] <= 5:
        raise ConfigError(f"limits.proxy_hops: {lim['proxy_hops']} is outside 0..5")
    for key in LIMIT_KEYS:
        try:
            parsed = parse_many(lim[key])
        except ValueError:
            parsed = None
        if not parsed:
            example = '"30/minute" or "10/minute;100/day"'
            raise ConfigError(f"limits.{key}: {lim[key]!r} is not a rate limit such as {example}")


def _check_url(value: str, dotted: str, schemes: set) -> None:
    parsed = urlparse(value)
    if parsed.scheme not in schemes:
        raise ConfigError(f"{dotted}: {value!r} must start with one of {', '.join(sorted(schemes))}://")
    if parsed.scheme != "sqlite" and not parsed.hostname:
        raise ConfigError(f"{dotted}: {value!r} has no host")


def _leaves(tree: dict, prefix: tuple):
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _leaves(value, prefix + (key,))
        else:
            yield prefix + (key,), value


def _get(tree: dict, keypath: tuple):
    for key in keypath:
        tree = tree[key]
    return tree


def _set(tree: dict, keypath: tuple, value) -> None:
    for key in keypath[:-1]:
        tree = tree.setdefault(key, {})
    tree[keypath[-1]] = value


def _copy(tree: dict) -> dict:
    return {k: _copy(v) if isinstance(v, dict) else (list(v) if isinstance(v, list) else v) for k, v in tree.items()}
