"""The ways a message leaves the system, each behind one small interface.

``send(batch) -> list[str]`` takes ``(delivery, text)`` pairs (a delivery as
``notifications.services.Outgoing``: ``pk``, ``channel``, ``address``, ``attempts`` and its
``message``) and returns, for each, "" when the channel took it or the reason it did not
(shown on the delivery record). A backend never raises for one bad recipient; it raises only
when it cannot work at all.

SMS backends are chosen by ``settings.SMS_BACKEND``:

* ``ConsoleSmsBackend`` (the demo and the tests): writes each text to the console, or appends
  it to ``settings.SMS_FILE_PATH`` when that is set;
* ``HttpSmsBackend``: a generic HTTP gateway, configured from the environment (URL, app key,
  secret, signature name, template ids per event, timeout). Each request is a JSON POST signed
  with HMAC-SHA256 over the key, a timestamp, a nonce and the body's SHA-256.

E-mail goes through Django's configured e-mail backend (``EMAIL_BACKEND``).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import secrets
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from types import SimpleNamespace

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _


def sms_backend():
    return import_string(settings.SMS_BACKEND)()


@dataclass(frozen=True)
class _Direct:
    """A text sent at once, outside the delivery records (an SMS code): what a backend reads."""

    address: str
    message: SimpleNamespace
    pk: int = 0
    channel: str = "sms"
    attempts: int = 0


def send_sms_now(mobile: str, text: str, *, event: str) -> str:
    """Send one text now, past quiet hours and the delivery queue: for a code a person is
    waiting for on the page. Returns "" when the backend took it, else why not. ``event`` picks
    the gateway's template (``SMS_GATEWAY_TEMPLATES``)."""
    signed = f"【{settings.SMS_SIGN_NAME}】{text}"
    message = SimpleNamespace(event=event, title=text, link="", body=text)
    return sms_backend().send([(_Direct(address=mobile, message=message), signed)])[0]


class ConsoleSmsBackend:
    def send(self, batch) -> list[str]:
        lines = [f"[SMS] {delivery.address} {text}\n" for delivery, text in batch]
        path = getattr(settings, "SMS_FILE_PATH", "")
        if path:
            with open(path, "a", encoding="utf-8") as handle:
                handle.writelines(lines)
        else:
            sys.stdout.writelines(lines)
            sys.stdout.flush()
        return [""] * len(batch)


class DemoSmsBackend:
    """DEMO ONLY (``seed_demo`` sends through it; never configure it on a live site): writes
    the texts to ``SMS_FILE_PATH`` (else a file in the temporary directory) instead of the
    terminal and, like a real gateway, refuses some numbers (those ending in 4, as 空号), so the
    demo's delivery records show failed texts beside the sent ones."""

    def send(self, batch) -> list[str]:
        with open(demo_sms_path(), "a", encoding="utf-8") as handle:
            handle.writelines(f"[SMS] {delivery.address} {text}\n" for delivery, text in batch)
        return [_("空号（演示网关）") if delivery.address.endswith("4") else "" for delivery, _text in batch]


def demo_sms_path() -> str:
    return settings.SMS_FILE_PATH or os.path.join(tempfile.gettempdir(), "wuye-demo-sms.txt")


class HttpSmsBackend:
    """A generic SMS gateway over HTTPS: one signed JSON POST per text.

    The body: ``{"phone", "sign", "template", "params": {"title", "link"}, "text"}``; the
    headers ``X-App-Key``, ``X-Timestamp``, ``X-Nonce`` and ``X-Signature`` (hex HMAC-SHA256
    with the secret over ``key\\ntimestamp\\nnonce\\nsha256(body)``). The gateway took the text
    when it answers 2xx with ``{"code": 0}`` (or ``"0"``/``"OK"``); otherwise its ``message``
    is the reason recorded."""

    def __init__(self):
        self.url = settings.SMS_GATEWAY_URL
        self.key = settings.SMS_GATEWAY_KEY
        self.secret = settings.SMS_GATEWAY_SECRET.encode()
        self.sign = settings.SMS_GATEWAY_SIGN_NAME
        self.templates = settings.SMS_GATEWAY_TEMPLATES
        self.timeout = settings.SMS_GATEWAY_TIMEOUT
        if not self.url:
            raise RuntimeError("SMS_GATEWAY_URL is not set")

    def _headers(self, body: bytes) -> dict:
        stamp, nonce = str(int(time.time())), secrets.token_hex(8)
        signed = "\n".join((self.key, stamp, nonce, hashlib.sha256(body).hexdigest())).encode()
        return {
            "Content-Type": "application/json; charset=utf-8",
            "X-App-Key": self.key,
            "X-Timestamp": stamp,
            "X-Nonce": nonce,
            "X-Signature": hmac.new(self.secret, signed, hashlib.sha256).hexdigest(),
        }

    def _one(self, delivery, text: str) -> str:
        message = delivery.message
        body = json.dumps(
            {
                "phone": delivery.address,
                "sign": self.sign,
                "template": self.templates.get(message.event, self.templates.get("default", "")),
                "params": {"title": message.title, "link": message.link},
                "text": text,
            },
            ensure_ascii=False,
        ).encode()
        request = urllib.request.Request(self.url, data=body, headers=self._headers(body), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return _reason(_("短信网关拒绝（HTTP %(code)s）") % {"code": exc.code}, exc.read())
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, a dropped connection
            if isinstance(exc, TimeoutError) or isinstance(getattr(exc, "reason", None), TimeoutError):
                return _("短信网关超时（%(seconds)s 秒）") % {"seconds": self.timeout}
            return _("短信网关无法连接：%(error)s") % {"error": exc}
        except ValueError:
            return _("短信网关的应答无法识别")
        if not isinstance(answer, dict):  # a list or a bare value is no answer either
            return _("短信网关的应答无法识别")
        if str(answer.get("code")) in ("0", "OK", "ok"):
            return ""
        return _("短信网关：%(message)s") % {"message": answer.get("message") or answer.get("code")}

    def send(self, batch) -> list[str]:
        return [self._one(delivery, text) for delivery, text in batch]


def _reason(head: str, raw: bytes) -> str:
    try:
        detail = json.loads(raw).get("message", "")
    except (ValueError, AttributeError):
        detail = ""
    return f"{head}：{detail}" if detail else head


def send_email(batch) -> list[str]:
    """``(delivery, text)`` pairs through Django's e-mail backend, one connection for the batch."""
    out = []
    with get_connection() as connection:
        for delivery, text in batch:
            mail = EmailMessage(delivery.message.title, text, to=[delivery.address], connection=connection)
            try:
                out.append("" if mail.send() else _("邮件服务器未接收"))
            except Exception as exc:  # one bad address must not stop the batch
                out.append(_("邮件发送失败：%(error)s") % {"error": exc})
    return out
