"""The maildir source: mails to alerts, pseudo-headers, and bad mails kept aside."""

import base64

import pytest

from kapacitrio.kkok.errors import KkokError
from kapacitrio.kkok.sources import make_source
from kapacitrio.kkok.sources.maildir import parse_mail, split_pseudo_headers
from kapacitrio.models.timefmt import format_rfc3339

from .conftest import START

SIMPLE = (
    b"From: Disk Monitor <disk@example.com>\r\n"
    b"To: kkok@example.com\r\n"
    b"Subject: =?utf-8?b?" + base64.b64encode("ディスク full".encode()) + b"?=\r\n"
    b"Date: Mon, 02 Jan 2006 15:04:05 -0700\r\n"
    b"\r\n"
    b"sda is 99% full\r\nplease look\r\n"
)

PSEUDO = (
    b"From: robot@example.com\n"
    b"Subject: original\n"
    b"Content-Type: text/plain; charset=utf-8\n"
    b"Content-Transfer-Encoding: quoted-printable\n"
    b"\n"
    b"Title: from pseudo\n"
    b"Host: db1\n"
    b"Date: 2020-05-06T07:08:09Z\n"
    b"Severity: high\n"
    b"\n"
    b"body =E2=9C=93\n"
)


def test_simple_mail():
    a = parse_mail(SIMPLE, START)
    assert a.from_ == "Disk Monitor" and a.title == "ディスク full"
    assert format_rfc3339(a.date) == "2006-01-02T22:04:05Z"
    assert a.message == "sda is 99% full\nplease look\n" and a.info == {}


def test_pseudo_headers_set_fields():
    a = parse_mail(PSEUDO, START)
    assert (a.from_, a.title, a.host) == ("robot@example.com", "from pseudo", "db1")
    assert format_rfc3339(a.date) == "2020-05-06T07:08:09Z"
    assert a.info == {"Severity": "high"} and a.message == "body ✓\n"


@pytest.mark.parametrize(
    "body,headers",
    [
        ("Key: v\n\nrest", {"Key": "v"}),
        ("Key: v\nno blank line", {}),
        ("not a header\n\nx", {}),
        ("\nstarts blank", {}),
    ],
)
def test_split_pseudo_headers(body, headers):
    got, rest = split_pseudo_headers(body)
    assert got == headers
    assert rest == ("rest" if headers else body)


def test_mail_without_subject_is_refused():
    with pytest.raises(KkokError, match="Title is required"):
        parse_mail(b"From: a@b\n\nbody\n", START)


async def test_scan_pools_alerts_and_moves_mails(router, tmp_path):
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "1.mail").write_bytes(SIMPLE)
    (tmp_path / "new" / "2.mail").write_bytes(b"From: a@b\n\nno subject\n")
    (tmp_path / "new" / "3.mail").write_bytes(PSEUDO)
    src = make_source({"type": "maildir", "dir": str(tmp_path), "interval": 5}, router)
    assert await src.scan_once() == 2
    assert [a.title for a in router.pending()] == ["ディスク full", "from pseudo"]
    assert sorted(p.name for p in (tmp_path / "cur").iterdir()) == [
        "1.mail:2,S",
        "2.mail:2,S",
        "3.mail:2,S",
    ]
    assert list((tmp_path / "new").iterdir()) == []
    assert await src.scan_once() == 0


def test_bad_source_config(router):
    with pytest.raises(KkokError, match="dir is required"):
        make_source({"type": "maildir"}, router)
    with pytest.raises(KkokError, match="no such source type"):
        make_source({"type": "imap"}, router)
