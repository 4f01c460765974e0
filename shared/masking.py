"""Keep secrets out of logs and exception messages.

Two layers work together:

* a process-wide registry of secret values (`register_secret`): the API key read from the
  configuration, an OAuth access token, ... Every registered value, and its URL-encoded forms, is
  replaced by `***` wherever it appears in text passed through `mask`;
* name-based rules for text shaped like credentials even when the value was never registered:
  sensitive query parameters (`?api_key=...`, `&access_token=...`), passwords in a URL's userinfo
  (`https://user:password@host`), sensitive header names and sensitive keys of nested data.

Connectors log through `log` (`from shared.masking import log`) instead of the SDK's `Logging`, so
that every message and exception text is masked before it is printed.
"""

import logging
import re
import threading
import traceback
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus

MASK = "***"

# Shorter values would mask common words and digits everywhere in the logs; a real credential
# is never this short.
MIN_SECRET_LENGTH = 4

# Parameter / data key names (lower case, "-" read as "_") whose value is a credential.
_SENSITIVE_NAMES = frozenset(
    {
        "api_key",
        "apikey",
        "key",
        "token",
        "access_token",
        "refresh_token",
        "client_secret",
        "secret",
        "password",
        "passwd",
        "auth",
        "authorization",
        "proxy_authorization",
        "signature",
        "sig",  # Azure SAS tokens carry their signature as `sig`.
        "cookie",
        "set_cookie",
    }
)
_SENSITIVE_NAME_PARTS = (
    "token",
    "secret",
    "password",
    "passwd",
    "api_key",
    "apikey",
    "private_key",
    "signature",
    "credential",
)
# Header names are never row data, so they can be matched more broadly than data keys: a data
# key "author" or "primary_key" must stay readable, a header called "X-Auth-..." or "...-Key"
# is a credential far more often than not.
_SENSITIVE_HEADER_PARTS = ("auth", "key", "cookie", "session")
_SCHEME_HEADERS = frozenset({"authorization", "proxy_authorization"})

# `?name=value`, `&name=value` and `#name=value` (OAuth implicit flow puts tokens in the fragment).
_INLINE_PARAM = re.compile(r"(?P<sep>[?&#])(?P<name>[^=&#?\s]+)=(?P<value>[^&#\s'\"<>]*)")
_SENTENCE_PUNCTUATION = ".,:;)]}!"
# `scheme://user:password@host`: the password goes; the user name stays, it names the account.
_URL_USERINFO = re.compile(
    r"(?P<prefix>[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/:@]*):(?P<password>[^\s/@]+)@"
)
# `Bearer abc...`: the scheme says which kind of credential was sent, which helps debugging.
_AUTH_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9_-]{0,19})\s+\S")

_registry_lock = threading.Lock()
_registered: set[str] = set()
# Every form to replace (raw and URL-encoded), longest first so that a secret containing another
# one is replaced whole, never leaving a partial tail behind.
_replacements: tuple[str, ...] = ()


def register_secret(value: Any) -> None:
    """Register a secret value so that `mask` replaces it everywhere from now on.

    None, empty and very short values (fewer than MIN_SECRET_LENGTH characters) are ignored.
    Non-string values are registered by their `str()` form.
    """
    global _replacements
    if value is None:
        return
    text = value if isinstance(value, str) else str(value)
    if len(text) < MIN_SECRET_LENGTH:
        return
    with _registry_lock:
        if text in _registered:
            return
        _registered.add(text)
        forms = set(_replacements)
        # requests encodes query values with quote_plus; other clients use quote. Error messages
        # quote a value with control characters escaped (repr), so mask that form too.
        escaped = text.encode("unicode_escape").decode("ascii")
        forms.update({text, quote(text, safe=""), quote_plus(text, safe=""), escaped})
        forms.add(repr(text)[1:-1])
        _replacements = tuple(sorted(forms, key=len, reverse=True))


def clear_secrets() -> None:
    """Forget every registered secret (for tests)."""
    global _replacements
    with _registry_lock:
        _registered.clear()
        _replacements = ()


def is_sensitive_name(name: str) -> bool:
    """Whether a query parameter or data key of this name holds a credential."""
    normalized = unquote_plus(str(name)).strip().lower().replace("-", "_")
    if normalized in _SENSITIVE_NAMES:
        return True
    return any(part in normalized for part in _SENSITIVE_NAME_PARTS)


def is_sensitive_header(name: str) -> bool:
    """Whether an HTTP header of this name carries a credential."""
    normalized = str(name).strip().lower().replace("-", "_")
    if is_sensitive_name(normalized):
        return True
    return any(part in normalized for part in _SENSITIVE_HEADER_PARTS)


def _mask_inline_param(match: re.Match) -> str:
    """Replace the value of one `name=value` pair when the name is sensitive.

    Punctuation ending the value (`...?token=abc: failed`, `(url=...?key=abc)`) belongs to the
    surrounding sentence far more often than to the credential, so it is kept.
    """
    value = match.group("value")
    if not value or not is_sensitive_name(match.group("name")):
        return match.group(0)
    trailing = value[len(value.rstrip(_SENTENCE_PUNCTUATION)) :]
    return f"{match.group('sep')}{match.group('name')}={MASK}{trailing}"


def mask(text: Any) -> str:
    """Return `text` with every registered secret and every URL-shaped credential replaced.

    Registered values are replaced in raw and URL-encoded forms. Independently of the registry,
    values of sensitive query parameters and passwords in URL userinfo are masked, because
    exception texts from requests/urllib3 quote the request URL.
    """
    masked = text if isinstance(text, str) else str(text)
    for secret in _replacements:
        if secret in masked:
            masked = masked.replace(secret, MASK)
    if "=" in masked:
        masked = _INLINE_PARAM.sub(_mask_inline_param, masked)
    if "@" in masked:
        masked = _URL_USERINFO.sub(lambda m: f"{m.group('prefix')}:{MASK}@", masked)
    return masked


def mask_url(url: Any) -> str:
    """Return the URL with sensitive query values, userinfo passwords and secrets masked.

    The URL keeps its shape (parameter order and encoding), so a masked URL in a log can still be
    compared with the one in the source's documentation.
    """
    return mask(url)


def mask_headers(headers: Mapping[str, Any] | None) -> dict[str, str]:
    """Return a copy of the headers with every credential replaced by `***`.

    `Authorization: Bearer abc` becomes `Bearer ***`: the scheme is kept as a debugging hint.
    Other values still go through `mask`, in case a registered secret was copied into them.
    """
    masked: dict[str, str] = {}
    for name, value in (headers or {}).items():
        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        if not is_sensitive_header(name):
            masked[name] = mask(text)
            continue
        scheme = _AUTH_SCHEME.match(text)
        if scheme and str(name).lower().replace("-", "_") in _SCHEME_HEADERS:
            masked[name] = f"{scheme.group('scheme')} {MASK}"
        else:
            masked[name] = MASK
    return masked


def mask_data(obj: Any) -> Any:
    """Return a masked copy of nested dicts/lists/tuples, for logging.

    Values under sensitive keys become `***` (an empty or None value is kept, since "the token is
    missing" is worth seeing); every other string goes through `mask`. Other scalars are kept.
    """
    if isinstance(obj, Mapping):
        copy = {}
        for key, value in obj.items():
            masked_key = mask(key) if isinstance(key, str) else key
            is_empty = value is None or (isinstance(value, str) and not value)
            if isinstance(key, str) and is_sensitive_name(key) and not is_empty:
                copy[masked_key] = MASK
            else:
                copy[masked_key] = mask_data(value)
        return copy
    if isinstance(obj, list):
        return [mask_data(item) for item in obj]
    if isinstance(obj, tuple):
        return tuple(mask_data(item) for item in obj)
    if isinstance(obj, str):
        return mask(obj)
    return obj


def mask_exception(exc: BaseException) -> str:
    """Return `"<ExceptionType>: <message>"`, masked."""
    return mask(f"{type(exc).__name__}: {exc}")


def _format_exception(exc: BaseException) -> str:
    """The exception's traceback, masked (chained exceptions included: they may quote a URL)."""
    return mask("".join(traceback.format_exception(exc)).rstrip())


class MaskedLogger:
    """Connector logging that masks every message before it reaches the SDK's `Logging`.

    It offers the SDK 3.0 levels (debug, info, warning, error, critical); `fine` and `severe`,
    which the SDK deprecates, are kept as aliases of debug and error. The SDK's `Logging` is
    looked up at every call, never at import time: calling it at import time crashes, and tests
    monkeypatch it.
    Before the SDK has set its log level (tools and unit tests only: a connector always runs under
    the SDK), messages go to the standard `logging` module, because `Logging` would fail comparing
    its unset level.
    """

    _fallback = logging.getLogger("shared")

    def debug(self, message: Any, exception: BaseException | None = None) -> None:
        """Log at DEBUG level (printed only under `fivetran debug`)."""
        self._emit("debug", logging.DEBUG, message, exception)

    def info(self, message: Any, exception: BaseException | None = None) -> None:
        """Log at INFO level."""
        self._emit("info", logging.INFO, message, exception)

    def warning(self, message: Any, exception: BaseException | None = None) -> None:
        """Log at WARNING level."""
        self._emit("warning", logging.WARNING, message, exception)

    def error(self, message: Any, exception: BaseException | None = None) -> None:
        """Log at ERROR level; the exception's traceback, masked, is appended."""
        self._emit("error", logging.ERROR, message, exception)

    def critical(self, message: Any, exception: BaseException | None = None) -> None:
        """Log at CRITICAL level; the exception's traceback, masked, is appended."""
        self._emit("critical", logging.CRITICAL, message, exception)

    # SDK 3.0.0 deprecates FINE and SEVERE: the old names stay as aliases of their successors.
    fine = debug
    severe = error

    def _emit(
        self, method: str, fallback_level: int, message: Any, exception: BaseException | None
    ) -> None:
        """Mask the message (and exception), then hand it to the SDK or the fallback logger."""
        text = mask(message)
        if exception is not None:
            # Never pass the exception object to the SDK: it would format the traceback itself,
            # unmasked.
            text = f"{text}\n{_format_exception(exception)}"
        from fivetran_connector_sdk import Logging

        if Logging.LOG_LEVEL is None:
            self._fallback.log(fallback_level, text)
            return
        getattr(Logging, method)(text)


log = MaskedLogger()
