"""Every user-facing string goes through the translation layer and has a Chinese text."""
import re

from core.catalog import extract, load
from core.errors import ValidationError
from core.i18n import N_, translator

PLACEHOLDER = re.compile(r"\{(\w*)\}")


def test_every_marked_string_is_translated_to_chinese():
    catalog = load("zh_CN")
    missing = [m.id for m in extract() if m.id and not (catalog.get(m.id) and
                                                          catalog.get(m.id).string)]
    assert missing == [], "run `python manage.py i18n-extract` and translate these"


def test_translations_keep_their_placeholders():
    for message in load("zh_CN"):
        if message.id and message.string:
            assert set(PLACEHOLDER.findall(message.id)) == \
                set(PLACEHOLDER.findall(message.string)), message.id


def test_translator_per_language():
    assert translator("zh_CN")("Log out") == "退出登录"
    assert translator("en")("Log out") == "Log out"
    assert translator("xx")("Log out") == "Log out"  # unknown language falls back


def test_domain_error_renders_in_the_users_language_with_its_values():
    error = ValidationError(N_("A password needs at least {n} characters."), n=10)
    assert error.render(translator("en")) == "A password needs at least 10 characters."
    assert error.render(translator("zh_CN")) == "密码至少需要 10 个字符。"
    assert str(error) == "A password needs at least 10 characters."


def test_terms_in_an_error_are_translated_too():
    from core.i18n import Term
    error = ValidationError(N_("Unknown {what}: {value}."), what=Term(N_("Channel")),
                            value="pigeon")
    assert error.render(translator("zh_CN")) == "未知的 渠道：pigeon。"
    assert error.render(translator("en")) == "Unknown Channel: pigeon."
