"""Domain errors: each says what went wrong and what the person can do about it.

The message is an English msgid (marked for extraction with N_) plus named parameters;
the page renders it in the user's language with `error.render(_)`.
"""
from __future__ import annotations

from collections.abc import Callable

from core.i18n import N_, Term


class DomainError(Exception):
    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message.format(**params) if params else message)
        self.message = message
        self.params = params

    def render(self, gettext: Callable[[str], str]) -> str:
        text = gettext(self.message)
        params = {k: gettext(v) if isinstance(v, Term) else v for k, v in self.params.items()}
        return text.format(**params) if params else text

    def __reduce__(self):
        # copy and pickle: subclasses with a fixed message take other arguments (or none),
        # so the copy is rebuilt from the message, its values and the attributes
        return _rebuilt, (type(self), self.message, self.params, self.__dict__)


def _rebuilt(cls: type[DomainError], message: str, params: dict, state: dict) -> DomainError:
    error = cls.__new__(cls)
    DomainError.__init__(error, message, **params)
    error.__dict__.update(state)
    return error


class ValidationError(DomainError):
    """The input cannot be accepted as it is."""


class NotFound(DomainError):
    """The record asked for does not exist (or is outside the actor's scope)."""


class PermissionDenied(DomainError):
    """The actor's roles do not allow this action, or the four-eyes rule forbids it."""


class InvalidState(DomainError):
    """The record's state does not allow this action now."""


class ConcurrentChange(DomainError):
    def __init__(self) -> None:
        super().__init__(N_("Someone else changed this record while you were working on it. "
                            "Reload it, check their change and try again."))


class Busy(DomainError):
    def __init__(self) -> None:
        super().__init__(N_("The database is busy. Nothing was saved; please try again."))


class DatabaseUnavailable(DomainError):
    """The database cannot be reached (server down, connection cut, file unreadable)."""

    def __init__(self) -> None:
        super().__init__(N_("The database cannot be reached right now. Your last action was "
                            "not saved; try again in a moment."))


class Unexpected(DomainError):
    """Anything else that went wrong: the details go to the server's log, not the screen."""

    def __init__(self) -> None:
        super().__init__(N_("Something went wrong and your last action was not completed. "
                            "Try again; if it keeps happening, tell your administrator."))


class NotLoggedIn(DomainError):
    def __init__(self) -> None:
        super().__init__(N_("Your session has ended. Please log in again."))
