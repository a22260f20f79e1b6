"""Every transport kind against real local receivers (SMTP via aiosmtpd, HTTP via a loopback server)."""

import email
import json
import sys
from urllib.parse import parse_qs

import pytest
import trio

from kapacitrio.kkok.errors import KkokError
from kapacitrio.kkok.js import JSEngine
from kapacitrio.kkok.transports import TransportEnv, TransportError, make_transport
from tests.smtpsink import running_smtp_sink

from .conftest import START, make_alert
from .receiver import start_receiver

PY = sys.executable


class FakeClock:
    """A clock whose sleeps jump time forward and are recorded."""

    def __init__(self) -> None:
        self.t = START
        self.sleeps: list[int] = []

    def now(self) -> int:
        return self.t

    async def sleep_until(self, ns: int) -> None:
        self.sleeps.append(ns - self.t)
        self.t = max(self.t, ns)


@pytest.fixture
def tenv():
    return TransportEnv(JSEngine(0.2), FakeClock(), retry_delay=0)


# -- construction


@pytest.mark.parametrize(
    "spec,needle",
    [
        ({}, "transport type is required"),
        ({"type": "nosuch"}, "no such transport type: nosuch"),
        ({"type": "email", "to": ["a@b"]}, "from is required"),
        ({"type": "email", "from": "k@x"}, "no recipients"),
        ({"type": "email", "from": "k@x", "to": ["a"], "port": "25"}, "port must be an integer"),
        ({"type": "slack"}, "url is required"),
        ({"type": "slack", "url": "ftp://x"}, "http"),
        ({"type": "slack", "url": "http://x", "color": "("}, "bad JavaScript"),
        ({"type": "twilio", "account": "a", "from": "+1"}, "token is required"),
        ({"type": "exec"}, "command is required"),
        ({"type": "exec", "command": ["true"], "extra": 1}, "unknown parameter extra"),
        ({"type": "email", "from": "k@x", "to": ["a"], "template": "/no/such"}, "cannot read"),
    ],
)
def test_bad_transport_specs(tenv, spec, needle):
    with pytest.raises(KkokError, match=needle):
        make_transport(spec, tenv)


# -- email


@pytest.fixture
def smtp():
    with running_smtp_sink() as server:
        yield server


async def test_email_delivered_over_smtp(smtp, tenv, tmp_path):
    ctl, handler = smtp
    bcc_file = tmp_path / "bcc.txt"
    bcc_file.write_text("hidden@example.com\n\n")
    t = make_transport(
        {
            "type": "email",
            "from": "kkok@example.com",
            "host": "127.0.0.1",
            "port": ctl.port,
            "to": ["ops@example.com"],
            "cc": ["cc@example.com"],
            "bcc_file": str(bcc_file),
            "to_file": str(tmp_path / "missing.txt"),
        },
        tenv,
    )
    await t.deliver([make_alert("disk full", message="90% used", info={"dev": "sda"})])
    (env,) = handler.envelopes
    assert env.mail_from == "kkok@example.com"
    assert env.rcpt_tos == ["ops@example.com", "cc@example.com", "hidden@example.com"]
    msg = email.message_from_bytes(env.content)
    assert msg["Subject"] == "disk full" and msg["To"] == "ops@example.com"
    assert msg["Cc"] == "cc@example.com" and msg["Bcc"] is None
    assert "2026" in msg["Date"] and "00:00:00" in msg["Date"]
    body = msg.get_payload(decode=True).decode()
    assert "90% used" in body and "web1" in body and '"dev": "sda"' in body


async def test_email_to_closed_port_fails_clearly(tenv):
    with trio.socket.socket() as s:
        await s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t = make_transport(
        {"type": "email", "from": "k@x", "to": ["a@b"], "host": "127.0.0.1", "port": port}, tenv
    )
    with pytest.raises(TransportError, match="email to 127.0.0.1"):
        await t.deliver([make_alert()])


# -- slack


async def test_slack_posts_attachments_and_retries_5xx(tenv, nursery):
    rec = await start_receiver(nursery, [500, 502])
    t = make_transport(
        {
            "type": "slack",
            "url": rec.url + "/hook",
            "name": "kkok",
            "icon": ":bell:",
            "channel": "#ops",
            "color": 'alert.Host == "web1" ? "danger" : "good"',
        },
        tenv,
    )
    await t.deliver([make_alert("a"), make_alert("b", host="db")])
    assert len(rec.requests) == 3
    body = json.loads(rec.requests[-1].body)
    assert rec.requests[-1].path == "/hook"
    assert body["username"] == "kkok" and body["icon_emoji"] == ":bell:"
    assert body["channel"] == "#ops"
    assert [a["title"] for a in body["attachments"]] == ["a", "b"]
    assert [a["color"] for a in body["attachments"]] == ["danger", "good"]


async def test_slack_gives_up_after_max_retry(tenv, nursery):
    rec = await start_receiver(nursery, [500] * 10)
    t = make_transport({"type": "slack", "url": rec.url, "max_retry": 2}, tenv)
    with pytest.raises(TransportError, match="500"):
        await t.deliver([make_alert()])
    assert len(rec.requests) == 3


async def test_slack_does_not_retry_4xx(tenv, nursery):
    rec = await start_receiver(nursery, [404])
    t = make_transport({"type": "slack", "url": rec.url}, tenv)
    with pytest.raises(TransportError, match="404"):
        await t.deliver([make_alert()])
    assert len(rec.requests) == 1


# -- twilio


def twilio_spec(rec, **kw):
    spec = {
        "type": "twilio",
        "account": "AC1",
        "token": "secret",
        "from": "+15550000",
        "api_url": rec.url,
    }
    spec.update(kw)
    return spec


async def test_twilio_sends_sms_with_auth_and_truncation(tenv, nursery, tmp_path):
    rec = await start_receiver(nursery)
    numbers = tmp_path / "to.txt"
    numbers.write_text("+819012345678\n")
    t = make_transport(
        twilio_spec(rec, to=["+15551234"], to_file=str(numbers), max_length=12), tenv
    )
    await t.deliver([make_alert("a very long title indeed")])
    assert [r.path for r in rec.requests] == ["/2010-04-01/Accounts/AC1/Messages.json"] * 2
    forms = [parse_qs(r.body.decode()) for r in rec.requests]
    assert [f["To"][0] for f in forms] == ["+15551234", "+819012345678"]
    assert forms[0]["From"] == ["+15550000"]
    assert forms[0]["Body"] == ["[monitor@web"]
    assert rec.requests[0].headers["authorization"].startswith("Basic ")


async def test_twilio_rate_limits_us_numbers(tenv, nursery):
    rec = await start_receiver(nursery)
    t = make_transport(twilio_spec(rec, to=["+15551234"]), tenv)
    await t.deliver([make_alert("1"), make_alert("2"), make_alert("3")])
    assert len(rec.requests) == 3
    assert tenv.clock.sleeps == [1_000_000_000, 1_000_000_000]


async def test_twilio_rate_limits_other_numbers_at_ten_a_second(tenv, nursery):
    rec = await start_receiver(nursery)
    t = make_transport(twilio_spec(rec, to=["+44123"]), tenv)
    await t.deliver([make_alert("1"), make_alert("2")])
    assert tenv.clock.sleeps == [100_000_000]


async def test_twilio_count_only_and_retry(tenv, nursery):
    rec = await start_receiver(nursery, [503])
    t = make_transport(twilio_spec(rec, to=["+44123"], count_only=True), tenv)
    await t.deliver([make_alert(), make_alert(), make_alert()])
    assert len(rec.requests) == 2
    assert parse_qs(rec.requests[-1].body.decode())["Body"] == ["3 alerts"]


# -- exec


async def test_exec_transport_one_run_per_alert_or_all(tenv, tmp_path):
    out = tmp_path / "out.txt"
    code = f"import sys; open({str(out)!r}, 'a').write(sys.stdin.read())"
    each = make_transport({"type": "exec", "command": [PY, "-c", code]}, tenv)
    await each.deliver([make_alert("a"), make_alert("b")])
    docs = [json.loads(line) for line in out.read_text().splitlines()]
    assert [d["Title"] for d in docs] == ["a", "b"]
    out.unlink()
    allt = make_transport({"type": "exec", "all": True, "command": [PY, "-c", code]}, tenv)
    await allt.deliver([make_alert("a"), make_alert("b")])
    (doc,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert [d["Title"] for d in doc] == ["a", "b"]


async def test_exec_transport_failure(tenv):
    t = make_transport({"type": "exec", "command": [PY, "-c", "import sys; sys.exit(2)"]}, tenv)
    with pytest.raises(TransportError, match="status 2"):
        await t.deliver([make_alert()])


# -- templates


async def test_email_and_slack_use_template_files(smtp, tenv, nursery, tmp_path):
    tpl = tmp_path / "body.tmpl"
    tpl.write_text(
        '{{.Title}} on {{.Host}}: {{index .Info "dev"}}{{range .Sub}} [{{.Title}}]{{end}}'
    )
    ctl, handler = smtp
    mail = make_transport(
        {
            "type": "email",
            "from": "k@example.com",
            "to": ["a@example.com"],
            "host": "127.0.0.1",
            "port": ctl.port,
            "template": str(tpl),
        },
        tenv,
    )
    grouped = make_alert("grp", info={"dev": "sda"}, sub=[make_alert("s1"), make_alert("s2")])
    await mail.deliver([grouped])
    body = email.message_from_bytes(handler.envelopes[0].content).get_payload(decode=True)
    assert body.decode().strip() == "grp on web1: sda [s1] [s2]"
    rec = await start_receiver(nursery)
    slack = make_transport({"type": "slack", "url": rec.url, "template": str(tpl)}, tenv)
    await slack.deliver([grouped])
    (att,) = json.loads(rec.requests[0].body)["attachments"]
    assert att["text"] == "grp on web1: sda [s1] [s2]"


@pytest.mark.filterwarnings("ignore::UserWarning")
async def test_email_logs_in_with_user_and_password(tenv):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"pw"
        seen.append((auth_data.login, ok))
        return AuthResult(success=ok, handled=False, message=None if ok else "535 5.7.8 refused")

    with running_smtp_sink(
        authenticator=authenticator, auth_require_tls=False, auth_required=True
    ) as (ctl, handler):
        port = ctl.port
        spec = {"type": "email", "from": "k@x.org", "to": ["a@x.org"], "host": "127.0.0.1"}
        good = make_transport({**spec, "port": port, "user": "kk", "password": "pw"}, tenv)
        await good.deliver([make_alert()])
        assert len(handler.envelopes) == 1
        bad = make_transport({**spec, "port": port, "user": "kk", "password": "no"}, tenv)
        with pytest.raises(TransportError, match="email to"):
            await bad.deliver([make_alert()])
        assert seen[0] == (b"kk", True) and seen[1:] and all(not ok for _, ok in seen[1:])
        assert len(handler.envelopes) == 1
