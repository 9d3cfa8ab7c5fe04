"""The browser fixtures of tests/browser (real app servers, Chromium) for this suite too."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
pytest.register_assert_rewrite("browser_helpers")

from browser_fixtures import *  # noqa: E402,F401,F403
