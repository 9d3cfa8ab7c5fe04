"""The browser fixtures (browser_fixtures.py) for the tests in this directory."""
import pytest

pytest.register_assert_rewrite("browser_helpers")

from browser_fixtures import *  # noqa: E402,F401,F403
