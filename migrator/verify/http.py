"""One HTTP request to a replica, with the standard library: no redirects followed, no cookies
kept (the journey keeps its own jar), no proxy, from a chosen loopback source address.

The standard library's `http.client` does exactly this much, so verify adds no dependency.
"""

from __future__ import annotations

import http.client
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit


class TransportError(OSError):
    """No answer: refused, reset, timed out."""


@dataclass(frozen=True)
class Response:
    """A replica's answer."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str, default: Any = None) -> Any:
        return next((v for k, v in self.headers if k.lower() == name.lower()), default)

    def header_list(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def encode_body(
    json_body: Any = None,
    form: dict[str, str] | None = None,
    files: dict[str, tuple[str, bytes, str]] | None = None,
    content: bytes | None = None,
) -> tuple[bytes | None, str | None]:
    """(body, content type) for a JSON value, a form, a multipart upload or raw bytes."""
    if files:
        boundary = secrets.token_hex(16)
        parts = []
        for name, value in (form or {}).items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                + value.encode()
                + b"\r\n"
            )
        for name, (filename, data, kind) in files.items():
            head = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {kind}\r\n\r\n'
            )
            parts.append(head.encode() + data + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return body, f"multipart/form-data; boundary={boundary}"
    if form is not None:
        return urlencode(form).encode(), "application/x-www-form-urlencoded"
    if json_body is not None:
        return json.dumps(json_body).encode(), "application/json"
    return content, None


def send(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None,
    source: str = "127.0.0.1",
    timeout: float = 10.0,
) -> Response:
    """Send one request and read the whole answer; TransportError when there is none."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    connection = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port, timeout=timeout, source_address=(source, 0)
    )
    try:
        connection.request(method, target or "/", body=body, headers=headers)
        answer = connection.getresponse()
        return Response(answer.status, tuple(answer.getheaders()), answer.read())
    except (OSError, http.client.HTTPException) as exc:
        raise TransportError(f"{exc.__class__.__name__}: {exc}") from None
    finally:
        connection.close()
