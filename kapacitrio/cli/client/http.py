"""The small HTTP helper every client command shares: server URL, JSON calls and one-line errors."""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

DEFAULT_URL = "http://localhost:9092"
URL_ENV = "KAPACITOR_URL"
UNSAFE_SSL_ENV = "KAPACITOR_UNSAFE_SSL"
TOKEN_ENV = "KAPACITOR_TOKEN"
BASE = "/kapacitor/v1"
PREVIEW = "/kapacitor/v1preview"
TIMEOUT = httpx.Timeout(30.0)


#: Exit statuses as Kapacitor's client uses them: a failed command, a command used wrongly, and
#: a server URL it cannot use.
EXIT_FAILED = 3
EXIT_USAGE = 2
EXIT_BAD_URL = 4


class ClientError(Exception):
    """A failure the user should see as one line on stderr (exit status 3, as Kapacitor's)."""

    exit_status = EXIT_FAILED


class BadURL(ClientError):
    """The server URL is unusable: Kapacitor's client exits 4 before running the command."""

    exit_status = EXIT_BAD_URL


def add_url_flag(parser: argparse.ArgumentParser) -> None:
    """Give a client sub-command Kapacitor's `-url` and `-skipVerify` flags."""
    parser.add_argument(
        "-url",
        "--url",
        dest="url",
        default=None,
        help=f"the server's URL (default: ${URL_ENV}, else {DEFAULT_URL})",
    )
    parser.add_argument(
        "-skipVerify",
        "--skipVerify",
        dest="skip_verify",
        action="store_true",
        help=f"do not verify the server's TLS certificate (or set ${UNSAFE_SSL_ENV}=true)",
    )
    parser.add_argument(
        "-token",
        "--token",
        dest="token",
        default=None,
        help=f"send this JWT as 'Authorization: Bearer' (default: ${TOKEN_ENV})",
    )


def server_url(args: argparse.Namespace) -> str:
    """The server URL: `-url` after the sub-command, before it, $KAPACITOR_URL, else the default."""
    url = getattr(args, "url", None) or getattr(args, "global_url", None)
    url = url or os.environ.get(URL_ENV) or DEFAULT_URL
    if "://" not in url:
        raise BadURL(f"invalid URL {url!r}: it needs a scheme such as http://")
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise BadURL(f"invalid URL {url!r}: {exc}") from None
    if parsed.scheme not in ("http", "https"):
        raise BadURL(f"invalid URL {url!r}: the scheme must be http or https")
    if not parsed.host:
        raise BadURL(f"invalid URL {url!r}: no host")
    return url.rstrip("/")


def q(segment: str) -> str:
    """One ID as a URL path segment (every reserved character escaped)."""
    return urllib.parse.quote(segment, safe="")


def verify_tls(args: argparse.Namespace) -> bool:
    """Whether to check the server's certificate (`-skipVerify` or $KAPACITOR_UNSAFE_SSL turn it off)."""
    if getattr(args, "skip_verify", False) or getattr(args, "global_skip_verify", False):
        return False
    return os.environ.get(UNSAFE_SSL_ENV, "").strip().lower() not in ("1", "t", "true", "yes")


def bearer_token(args: argparse.Namespace) -> str:
    """The JWT to send: `-token` after the sub-command, before it, else $KAPACITOR_TOKEN."""
    token = getattr(args, "token", None) or getattr(args, "global_token", None)
    return token or os.environ.get(TOKEN_ENV, "")


def error_text(response: httpx.Response) -> str:
    """The server's error message from a failed response (its JSON `error`, else the body)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"]:
        return body["error"]
    text = response.text.strip().splitlines()
    return text[0] if text else f"HTTP {response.status_code} {response.reason_phrase}"


def describe_transport(exc: httpx.TransportError, url: str) -> str:
    """One line for a connection-level failure."""
    reason = str(exc).strip() or type(exc).__name__
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect to {url}: {reason}"
    if isinstance(exc, httpx.TimeoutException):
        return f"{url} did not answer in time: {reason}"
    return f"request to {url} failed: {reason}"


class Client:
    """JSON calls against one server; every failure becomes a `ClientError`."""

    def __init__(self, url: str, verify: bool = True, token: str = "") -> None:
        self.url = url
        self.verify = verify
        headers = {"Authorization": f"Bearer {token}"} if token else None
        self.http = httpx.Client(base_url=url, timeout=TIMEOUT, verify=verify, headers=headers)

    def close(self) -> None:
        self.http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Any = None,
        ok: tuple[int, ...] = (200, 201, 204),
    ) -> httpx.Response:
        """Send one request to `path` (relative to /kapacitor/v1 unless it starts with /)."""
        full = path if path.startswith("/") else f"{BASE}/{path}"
        try:
            response = self.http.request(method, full, json=json_body, params=params)
        except httpx.TransportError as exc:
            raise ClientError(describe_transport(exc, self.url)) from None
        except httpx.InvalidURL as exc:
            raise ClientError(f"invalid URL: {exc}") from None
        if response.status_code not in ok:
            raise ClientError(error_text(response))
        return response

    @contextmanager
    def stream(
        self, path: str, params: Any = None, headers: Any = None, timeout: Any = TIMEOUT
    ) -> Iterator[httpx.Response]:
        """GET `path` as a stream (a 200 answer, else `ClientError`); transport errors too."""
        full = path if path.startswith("/") else f"{BASE}/{path}"
        try:
            with self.http.stream(
                "GET", full, params=params, headers=headers, timeout=timeout
            ) as response:
                if response.status_code != 200:
                    response.read()
                    raise ClientError(error_text(response))
                yield response
        except httpx.TransportError as exc:
            raise ClientError(describe_transport(exc, self.url)) from None

    def get(self, path: str, **params: Any) -> Any:
        return _json(self.request("GET", path, params=params or None))

    def post(self, path: str, body: Any) -> Any:
        return _json(self.request("POST", path, json_body=body))

    def put(self, path: str, body: Any) -> Any:
        return _json(self.request("PUT", path, json_body=body))

    def patch(self, path: str, body: Any) -> Any:
        return _json(self.request("PATCH", path, json_body=body))

    def delete(self, path: str) -> None:
        self.request("DELETE", path)

    def exists(self, path: str) -> bool:
        """Whether GET `path` answers 200 (404 means no; anything else is an error)."""
        response = self.request("GET", path, ok=(200, 404))
        return response.status_code == 200


def _json(response: httpx.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise ClientError(f"the server sent invalid JSON ({response.status_code})") from None


@contextmanager
def connect(args: argparse.Namespace) -> Iterator[Client]:
    """A `Client` on the server the arguments name, closed afterwards."""
    client = Client(server_url(args), verify=verify_tls(args), token=bearer_token(args))
    try:
        yield client
    finally:
        client.close()


def fail(message: str, status: int = EXIT_FAILED) -> int:
    """Print one line on stderr; returns Kapacitor's exit status for a failed command (3)."""
    first = message.strip().splitlines()[0] if message.strip() else "error"
    print(first, file=sys.stderr)
    return status


def usage_error(message: str, usage: str) -> int:
    """A command used wrongly: the message, then its usage, on stderr; exit status 2."""
    print(message, file=sys.stderr)
    print(usage, file=sys.stderr)
    return EXIT_USAGE


def guarded(fn: Callable[[argparse.Namespace], int | None]) -> Callable[[argparse.Namespace], int]:
    """Wrap a command's `run` so client errors, bad files and Ctrl-C end with one line, not a traceback."""

    def run(args: argparse.Namespace) -> int:
        try:
            return int(fn(args) or 0)
        except ClientError as exc:
            return fail(str(exc), exc.exit_status)
        except BrokenPipeError:
            return _quiet_broken_pipe()
        except OSError as exc:
            where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
            return fail(f"{where}{exc.strerror or exc}")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return fail(f"invalid input: {exc}")
        except KeyboardInterrupt:
            return 130

    return run


def _quiet_broken_pipe() -> int:
    """The reader of our output went away (`| head`): stop without a word."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 1


def read_text(path: str) -> str:
    """A file's text ('-' for stdin); errors become `ClientError`."""
    if path == "-":
        return sys.stdin.read()
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise ClientError(f"failed to read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ClientError(f"failed to read {path}: not UTF-8 text") from None
