"""Configuration: defaults, file, environment, overrides, and clear refusals."""

import pytest

from app import create_app
from core import config
from core.config import ConfigError


def load(tmp_path, text=None, env=None, overrides=None):
    environ = dict(env or {})
    if text is not None:
        path = tmp_path / "hcp.toml"
        path.write_text(text, encoding="utf-8")
        environ["HCP_CONFIG"] = str(path)
    return config.load(overrides, environ)


def test_defaults_run_everything_locally(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load(tmp_path)
    assert settings.database.url == "sqlite:///instance/hcp.db"
    assert settings.sms.provider == "console"
    assert settings.sms.quiet_hours == ["21:00", "08:00"]
    assert settings.upstream.enabled is False
    assert settings.rectification.deadline_working_days == 5


def test_example_file_is_valid_and_complete(tmp_path):
    import pathlib

    example = pathlib.Path(__file__).parents[2] / "config.example.toml"
    settings = load(tmp_path, example.read_text(encoding="utf-8"))
    assert settings.to_dict() == config.DEFAULTS
    # Every key the product knows is documented in the example.
    text = example.read_text(encoding="utf-8")
    for keypath, _ in config._leaves(config.DEFAULTS, ()):
        assert f"\n{keypath[-1]} =" in text, f"{'.'.join(keypath)} is not documented in config.example.toml"


def test_file_then_environment_then_overrides(tmp_path):
    text = '[database]\nurl = "postgresql://u:p@db.example:5432/hcp"\n[sms]\ninvite_delay_minutes = 5\n'
    env = {"HCP_SMS_INVITE_DELAY_MINUTES": "10", "HCP_SECRET_KEY": "from-env"}
    settings = load(tmp_path, text, env, overrides={"sms": {"daily_cap_per_phone": 2}})
    assert settings.database.url == "postgresql://u:p@db.example:5432/hcp"
    assert settings.sms.invite_delay_minutes == 10
    assert settings.app.secret_key == "from-env"
    assert settings.sms.daily_cap_per_phone == 2


def test_secrets_come_from_the_environment(tmp_path):
    env = {
        "HCP_SMS_ALIYUN_ACCESS_KEY_ID": "id",
        "HCP_SMS_ALIYUN_ACCESS_KEY_SECRET": "secret",
        "HCP_DATABASE_URL": "postgresql://h/db",
    }
    settings = load(tmp_path, '[sms]\nprovider = "aliyun"\n', env)
    assert settings.sms.aliyun.access_key_secret == "secret"
    assert settings.database.url == "postgresql://h/db"


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("[sms\nprovider = 1", {}, "not valid TOML"),
        ("[sms]\nprovidr = 'aliyun'\n", {}, "sms.providr: unknown key"),
        ("[smss]\n", {}, "smss: unknown key"),
        ("[sms]\nprovider = 'telegram'\n", {}, "sms.provider: 'telegram' is not one of aliyun, console"),
        ("[sms]\nprovider = 'aliyun'\n", {}, "sms.aliyun.access_key_id: required"),
        ("[sms]\ninvite_delay_minutes = 'soon'\n", {}, "sms.invite_delay_minutes: expected an integer"),
        ("[sms]\ninvite_delay_minutes = -1\n", {}, "sms.invite_delay_minutes: -1 is outside"),
        ("[sms]\nquiet_hours = ['21:00']\n", {}, "sms.quiet_hours"),
        ("[sms]\nquiet_hours = ['25:00', '08:00']\n", {}, "sms.quiet_hours"),
        ("[database]\nurl = 'mysql://x/y'\n", {}, "database.url"),
        ("[app]\nbase_url = 'ftp://x'\n", {}, "app.base_url"),
        ("[upstream]\nenabled = true\nurl = 'https://city.example/api'\n", {}, "upstream.app_secret: required"),
        ("[upstream]\nenabled = 'yes'\n", {}, "upstream.enabled: expected bool"),
        ("[rectification]\nextra_holidays = ['1 Jan']\n", {}, "rectification.extra_holidays"),
        ("sms = 3\n", {}, "sms: expected a table"),
        ("", {"HCP_SMS_DAILY_CAP_PER_PHONE": "lots"}, "HCP_SMS_DAILY_CAP_PER_PHONE: expected an integer"),
        ("", {"HCP_UPSTREAM_ENABLED": "maybe"}, "HCP_UPSTREAM_ENABLED: expected true or false"),
    ],
)
def test_bad_configuration_names_the_key_and_the_problem(tmp_path, text, env, message):
    with pytest.raises(ConfigError) as refused:
        load(tmp_path, text, env)
    assert message in str(refused.value)


def test_missing_config_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        config.load(None, {"HCP_CONFIG": str(tmp_path / "missing.toml")})


def test_create_app_refuses_to_start_with_bad_configuration(tmp_path, monkeypatch):
    bad = tmp_path / "bad.toml"
    bad.write_text("[sms]\nquiet_hours = 'never'\n")
    monkeypatch.setenv("HCP_CONFIG", str(bad))
    with pytest.raises(ConfigError, match="sms.quiet_hours"):
        create_app()


def test_settings_are_read_only(tmp_path):
    settings = load(tmp_path, "")
    with pytest.raises(TypeError):
        settings.sms["provider"] = "aliyun"


@pytest.mark.parametrize(
    ("text", "section", "key", "value"),
    [
        ("[ratings]\nfollowup_days = 9\n", "ratings", "addendum_days", 9),
        ("[rectification]\ncallback_working_days = 2\n", "rectification", "verification_call_working_days", 2),
    ],
)
def test_renamed_keys_are_still_read_under_their_old_names(tmp_path, text, section, key, value):
    assert load(tmp_path, text)[section][key] == value


def test_a_renamed_key_given_twice_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="deprecated name of addendum_days"):
        load(tmp_path, "[ratings]\nfollowup_days = 9\naddendum_days = 8\n")


def test_renamed_keys_are_read_from_the_environment_too(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load(tmp_path, env={"HCP_RATINGS_FOLLOWUP_DAYS": "7"})
    assert settings.ratings.addendum_days == 7


@pytest.mark.parametrize(
    "text, message",
    [
        ("[assessment.weights]\ngood_rate = 50\n", "must add up to 100"),
        ("[assessment.weights]\ngood_rate = -10\nparticipation_rate = 60\n", "whole number"),
        ('[rectification]\nfollowup_by = "nobody"\n', "rectification.followup_by"),
        ('[month]\nclose_time = "24:00"\n', "month.close_time"),
        ("[month]\nremind_day = 29\nclose_day = 28\n", "month.remind_day"),
        ("[month]\nclose_day = 32\n", "month.close_day"),
        ("[ratings]\ndefault_rating_days = 30\n", "ratings.default_rating_days"),
        ("[figures]\nrepeat_bad_count = 1\n", "figures.repeat_bad_count"),
    ],
)
def test_the_months_settings_are_checked(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load(tmp_path, text)


def test_the_seeds_defaults(tmp_path):
    settings = load(tmp_path)
    assert settings.figures.good_includes_basic is True  # 好评 = 非常满意 + 满意 + 基本满意
    assert settings.rectification.followup_by == "bureau"
    assert (settings.month.remind_day, settings.month.close_day) == (25, 30)
    assert sum(settings.assessment.weights.values()) == 100
    assert settings.ratings.default_rating_days == 0  # the default rating is off
