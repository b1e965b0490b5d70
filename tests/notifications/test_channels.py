"""The channels: the console/file SMS backend, the HTTP gateway against a stub on 127.0.0.1, e-mail."""

import hashlib
import hmac
import json
import socket
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from notifications import channels, services
from notifications.models import Channel, Delivery, DeliveryStatus, Event
from tests.factories import EstateFactory, OwnerFactory, UserFactory

KEY, SECRET = "app-key-1", "s3cret-for-tests"


class Gateway(ThreadingHTTPServer):
    """A stub SMS gateway: checks the signature as the gateway would, records each request and
    answers with ``reply`` = (status, body bytes), after ``delay`` seconds."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests, self.reply, self.delay = [], (200, b'{"code": 0, "message": "OK"}'), 0.0

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/sms/send"


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        h = self.headers
        signed = "\n".join((h["X-App-Key"], h["X-Timestamp"], h["X-Nonce"], hashlib.sha256(body).hexdigest()))
        expected = hmac.new(SECRET.encode(), signed.encode(), hashlib.sha256).hexdigest()
        valid = hmac.compare_digest(expected, h["X-Signature"] or "") and abs(time.time() - int(h["X-Timestamp"])) < 60
        self.server.requests.append({"body": json.loads(body), "signed": valid, "path": self.path, "headers": h})
        time.sleep(self.server.delay)
        reply = self.server.reply(json.loads(body)) if callable(self.server.reply) else self.server.reply
        status, answer = reply if valid else (401, b'{"code": "SignatureDoesNotMatch"}')
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
        except OSError:  # the client gave up waiting
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    server = Gateway()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    settings.SMS_BACKEND = "notifications.channels.HttpSmsBackend"
    settings.SMS_GATEWAY_URL = server.url
    settings.SMS_GATEWAY_KEY, settings.SMS_GATEWAY_SECRET = KEY, SECRET
    settings.SMS_GATEWAY_SIGN_NAME = "物业治理"
    settings.SMS_GATEWAY_TEMPLATES = {"vote_convened": "SMS_123", "default": "SMS_100"}
    settings.SMS_GATEWAY_TIMEOUT = 0.3
    yield server
    server.shutdown()
    server.server_close()


NOON = datetime(2026, 3, 2, 12, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def owner(db, monkeypatch):
    monkeypatch.setattr(services.timezone, "now", lambda: NOON)  # notify() records at noon, outside the quiet hours
    return OwnerFactory(mobile="13912345678")


def queued_sms(owner, event=Event.VOTE_CONVENED, title="业主大会表决开始"):
    message = services.notify(
        event=event, recipients=[owner], title=title, body="请投票。", link="/votes/7/", subject=EstateFactory()
    )
    return Delivery.objects.get(message=message, channel=Channel.SMS)


def send_at_noon(delivery):
    """One send_due at a moment outside the quiet hours; returns it and the delivery as recorded."""
    now = NOON + timedelta(seconds=1)
    services.send_due(now=now)
    delivery.refresh_from_db()
    return now, delivery


# --------------------------------------------------------------------------- HTTP gateway


def test_the_gateway_takes_a_signed_request(gateway, owner):
    sms = queued_sms(owner)
    _now, sms = send_at_noon(sms)
    assert (sms.status, sms.attempts, sms.reason, sms.next_try_at) == (DeliveryStatus.SENT, 1, "", None)
    [request] = gateway.requests
    assert request["signed"] and request["headers"]["X-App-Key"] == KEY and request["path"] == "/sms/send"
    assert request["body"] == {
        "phone": "13912345678",
        "sign": "物业治理",
        "template": "SMS_123",
        "params": {"title": "业主大会表决开始", "link": "/votes/7/"},
        "text": "【物业治理】业主大会表决开始 http://127.0.0.1:8000/votes/7/",
    }


def test_a_wrong_secret_is_refused_by_the_gateway_and_recorded(gateway, owner, settings):
    settings.SMS_GATEWAY_SECRET = "not-the-secret"
    now, sms = send_at_noon(queued_sms(owner))
    assert gateway.requests[0]["signed"] is False
    assert (sms.status, sms.attempts, sms.reason) == (DeliveryStatus.QUEUED, 1, "短信网关拒绝（HTTP 401）")
    assert sms.next_try_at == now + timedelta(minutes=1)


def test_an_event_without_its_own_template_uses_the_default(gateway, owner):
    send_at_noon(queued_sms(owner, event=Event.BILL_ISSUED))
    assert gateway.requests[0]["body"]["template"] == "SMS_100"


def test_the_gateways_error_reply_is_the_recorded_reason(gateway, owner):
    gateway.reply = (200, json.dumps({"code": "isv.MOBILE_NUMBER_ILLEGAL", "message": "手机号码格式错误"}).encode())
    now, sms = send_at_noon(queued_sms(owner))
    assert (sms.status, sms.attempts, sms.reason) == (DeliveryStatus.QUEUED, 1, "短信网关：手机号码格式错误")
    assert sms.next_try_at == now + timedelta(minutes=1)


def test_an_error_reply_without_a_message_names_its_code(gateway, owner):
    gateway.reply = (200, b'{"code": "isv.BUSINESS_LIMIT_CONTROL"}')
    _now, sms = send_at_noon(queued_sms(owner))
    assert sms.reason == "短信网关：isv.BUSINESS_LIMIT_CONTROL"


def test_an_http_error_keeps_the_gateways_message(gateway, owner):
    gateway.reply = (500, json.dumps({"message": "服务内部错误"}).encode())
    now, sms = send_at_noon(queued_sms(owner))
    assert (sms.status, sms.attempts) == (DeliveryStatus.QUEUED, 1)
    assert sms.reason == "短信网关拒绝（HTTP 500）：服务内部错误"
    assert sms.next_try_at == now + timedelta(minutes=1)


@pytest.mark.parametrize("answer", [b"<html>busy</html>", b'["ok"]', b'"0"'])
def test_an_answer_that_is_no_json_object_is_a_recorded_failure(gateway, owner, answer):
    gateway.reply = (200, answer)
    _now, sms = send_at_noon(queued_sms(owner))
    assert (sms.status, sms.attempts, sms.reason) == (DeliveryStatus.QUEUED, 1, "短信网关的应答无法识别")


def test_a_gateway_slower_than_the_timeout_is_recorded_as_a_timeout(gateway, owner):
    gateway.delay = 1.5
    sms = queued_sms(owner)
    started = time.monotonic()
    now, sms = send_at_noon(sms)
    assert time.monotonic() - started < 1.2  # it did not wait for the answer
    assert (sms.status, sms.attempts, sms.reason) == (DeliveryStatus.QUEUED, 1, "短信网关超时（0.3 秒）")
    assert sms.next_try_at == now + timedelta(minutes=1)


def test_a_gateway_that_is_not_listening_is_recorded(gateway, owner, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{free_port}/sms/send"
    _now, sms = send_at_noon(queued_sms(owner))
    assert sms.reason.startswith("短信网关无法连接：") and sms.attempts == 1


def test_a_batch_goes_request_by_request_and_each_keeps_its_own_outcome(gateway, owner):
    good, bad = OwnerFactory(mobile="13900000001"), OwnerFactory(mobile="13900000002")
    message = services.notify(event=Event.VOTE_CONVENED, recipients=[good, bad], title="t", body="b", key="batch")

    gateway.reply = lambda body: (
        (200, b'{"code": "isv.MOBILE_NUMBER_ILLEGAL", "message": "bad"}')
        if body["phone"] == "13900000002"
        else (200, b'{"code": "OK"}')
    )
    assert services.send_due(message_id=message.pk, now=NOON) == 1
    outcome = dict(Delivery.objects.filter(message=message).values_list("address", "reason"))
    assert outcome == {"13900000001": "", "13900000002": "短信网关：bad"}


def test_the_http_backend_needs_its_url(settings):
    settings.SMS_GATEWAY_URL = ""
    with pytest.raises(RuntimeError):
        channels.HttpSmsBackend()


# --------------------------------------------------------------------------- console and e-mail


def test_the_console_backend_appends_to_its_file(settings, tmp_path, owner):
    settings.SMS_FILE_PATH = str(tmp_path / "sms.log")
    sms = queued_sms(owner)
    assert channels.ConsoleSmsBackend().send([(sms, "第一条"), (sms, "第二条")]) == ["", ""]
    channels.ConsoleSmsBackend().send([(sms, "第三条")])
    lines = (tmp_path / "sms.log").read_text(encoding="utf-8").splitlines()
    assert lines == ["[SMS] 13912345678 第一条", "[SMS] 13912345678 第二条", "[SMS] 13912345678 第三条"]


def test_the_console_backend_prints_without_a_file(settings, capsys, owner):
    settings.SMS_FILE_PATH = ""
    channels.ConsoleSmsBackend().send([(queued_sms(owner), "你好")])
    assert capsys.readouterr().out == "[SMS] 13912345678 你好\n"


def test_email_goes_through_djangos_backend(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "noreply@estate.example.cn"
    user = UserFactory(email="staff@example.cn")
    message = services.notify(
        event=Event.CASE_MOVED, recipients=[user], title="案件已分派", body="请处置。", link="/grid/3/", key="c3"
    )
    delivery = Delivery.objects.get(message=message, channel=Channel.EMAIL)
    assert channels.send_email([(delivery, "正文")]) == [""]
    [sent] = mail.outbox
    assert (sent.subject, sent.body, sent.to, sent.from_email) == (
        "案件已分派",
        "正文",
        ["staff@example.cn"],
        "noreply@estate.example.cn",
    )
