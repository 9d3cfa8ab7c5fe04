"""User text inside markdown (expander labels, captions) must stay literal text."""
import re

from ui.fmt import md

UNESCAPED_SYNTAX = re.compile(r"(?<!\\)[\[\]()!*_`<>#|]")


def test_markdown_syntax_in_user_text_is_escaped():
    payload = "[click](javascript:alert(1)) ![t](http://evil/x.png) **b** <img src=x> # h |x|"
    escaped = md(payload)
    assert UNESCAPED_SYNTAX.search(escaped) is None
    # nothing lost, only escaped (and an invisible word joiner after ":", see ui.fmt.md)
    assert escaped.replace("\\", "").replace("\u2060", "") == payload


def test_plain_text_is_unchanged():
    assert md("王芳 Wang Fang") == "王芳 Wang Fang"
    assert md(None) == ""
