"""The browser fixtures (tests/browser/browser_fixtures.py) come from tests/conftest.py, once
for every directory that drives the real app."""
