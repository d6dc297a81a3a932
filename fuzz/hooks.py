"""schemathesis hooks for accountd: sign account-modify and iam requests the way their clients do.

The runner (fuzz/run.py) puts the access key and its secret in ACCOUNTD_AK / ACCOUNTD_SK. Signing happens on the
prepared request (a `requests` auth object), so the signature covers the exact bytes sent.
"""

import base64
import email.utils
import hashlib
import hmac
import os
import time
import uuid
from urllib.parse import urlsplit

import requests
import schemathesis


def _key():
    return os.environ.get("ACCOUNTD_AK", ""), os.environ.get("ACCOUNTD_SK", "").encode()


def _path_with_query(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _body(request):
    body = request.body or b""
    return body.encode() if isinstance(body, str) else body


class DfSignature(requests.auth.AuthBase):
    """account-modify: X-Df-* headers and a hex HMAC of method, nonce, path, timestamp and body."""

    def __call__(self, request):
        access_key, secret = _key()
        nonce = uuid.uuid4().hex
        timestamp = str(int(time.time()))
        message = f"{request.method} {nonce} {_path_with_query(request.url)} {timestamp} ".encode() + _body(request)
        request.headers.update(
            {
                "X-Df-Access-Key": access_key,
                "X-Df-Timestamp": timestamp,
                "X-Df-Nonce": nonce,
                "X-Df-SVersion": "v20240417",
                "X-Df-Signature": hmac.new(secret, message, hashlib.sha256).hexdigest(),
            }
        )
        return request


class DateSignature(requests.auth.AuthBase):
    """iam: X-Date, Digest and `Authorization: hmac …` over the date, the request line and the digest."""

    def __call__(self, request):
        access_key, secret = _key()
        date = email.utils.formatdate(usegmt=True)
        digest = "SHA-256=" + base64.b64encode(hashlib.sha256(_body(request)).digest()).decode()
        message = f"x-date: {date}\n{request.method} {_path_with_query(request.url)} HTTP/1.1\ndigest: {digest}"
        signature = base64.b64encode(hmac.new(secret, message.encode(), hashlib.sha256).digest()).decode()
        request.headers["X-Date"] = date
        request.headers["Digest"] = digest
        request.headers["Authorization"] = (
            f'hmac accesskey="{access_key}", algorithm="hmac-sha256", '
            f'headers="x-date request-line digest", signature="{signature}"'
        )
        return request


@schemathesis.hook
def before_call(context, case, kwargs):
    path = case.operation.path
    if path.startswith("/api/v1/account"):
        kwargs["auth"] = DfSignature()
    elif path.startswith("/iam/idp/v1"):
        kwargs["auth"] = DateSignature()
