"""`[http] auth-enabled` against the real server: credentials, privileges, users, JWTs, cross-site."""

from __future__ import annotations

import os
import re
import time

import httpx
import jwt
import pytest

from tests.e2e.secureenv import ADMIN, SECRET, SECURE_ENV


@pytest.fixture
def secure(server_factory):
    return server_factory(env=SECURE_ENV)


KKOK_API = ("/alerts", "/filters", "/routes", "/version")


def _error(r: httpx.Response, path: str) -> str:
    """The error message: text/plain on the kkok API, Kapacitor's JSON everywhere else."""
    if path.split("/")[:2] in ([p.split("/")[:2] for p in KKOK_API]):
        assert r.headers["content-type"].startswith("text/plain"), (path, r.headers)
        return r.text
    return r.json()["error"]


def _concrete(rule: str) -> str:
    return re.sub(r"<[^>]+>", "x", rule)


def test_every_route_but_ping_needs_credentials(secure):
    c = secure.client
    assert c.get("/kapacitor/v1/ping").status_code == 204
    assert c.head("/kapacitor/v1preview/ping").status_code == 204
    routes = c.get("/kapacitor/v1/:routes", auth=ADMIN).json()
    assert len(routes) > 40
    for rule, methods in routes.items():
        path = _concrete(rule)
        if path.endswith("/ping") or rule == "/" or rule.startswith("/ui"):
            continue  # ping, and the UI's static files (its API calls are guarded)
        for method in methods:
            r = c.request(method, path)
            assert r.status_code == 401, (method, path, r.text)
            assert _error(r, path) == "unable to parse authentication credentials"
            r = c.request(method, path, auth=("admin", "wrong"))
            assert (r.status_code, _error(r, path)) == (401, "authorization failed")
    assert c.get("/kapacitor/v1/tasks", auth=("", "x")).json() == {"error": "username required"}
    assert c.get("/kapacitor/v1/tasks", auth=ADMIN).status_code == 200
    assert c.get("/kapacitor/v1/tasks", params={"u": ADMIN[0], "p": ADMIN[1]}).status_code == 200
    assert c.get("/no/such/path").status_code == 401


def _create(c, name, perms, kind="normal"):
    body = {"name": name, "password": f"{name}-pw", "type": kind, "permissions": perms}
    r = c.post("/kapacitor/v1/users", json=body, auth=ADMIN)
    assert r.status_code == 200, r.text
    return (name, f"{name}-pw")


def test_permissions_and_per_method_privileges(secure):
    c = secure.client
    api = _create(c, "apiuser", ["api"])
    cfg = _create(c, "cfguser", ["config_api"])
    writer = _create(c, "writer", ["write_points"])
    nobody = _create(c, "nobody", ["none"])
    assert c.get("/kapacitor/v1/tasks", auth=api).status_code == 200
    r = c.post("/kapacitor/v1/write?db=d&rp=r", content=b"m v=1", auth=api)
    assert (r.status_code, r.json()) == (
        403,
        {
            "error": 'user apiuser does not have "write" privilege for API endpoint "/kapacitor/v1/write"'
        },
    )
    assert c.get("/kapacitor/v1/config", auth=api).status_code == 403
    assert c.get("/kapacitor/v1/config", auth=cfg).status_code == 200
    for method, label in (("GET", "read"), ("POST", "write"), ("DELETE", "delete")):
        r = c.request(method, "/kapacitor/v1/tasks/t", auth=cfg)
        assert r.status_code == 403
        assert r.json()["error"] == (
            f'user cfguser does not have "{label}" privilege for API endpoint "/kapacitor/v1/tasks/t"'
        )
    assert c.post("/write?db=d&rp=r", content=b"m v=1", auth=writer).status_code == 204
    assert c.get("/kapacitor/v1/tasks", auth=writer).status_code == 403
    assert c.get("/kapacitor/v1/ping", auth=nobody).status_code == 204
    assert c.get("/kapacitor/v1/tasks", auth=nobody).status_code == 403
    # admins only: users and backups (they hold every secret)
    assert c.get("/kapacitor/v1/users", auth=api).status_code == 403
    assert c.get("/kapacitor/v1/storage/backup", auth=api).status_code == 403
    assert c.get("/kapacitor/v1/storage/backup", auth=ADMIN).status_code == 200


def test_users_api_never_returns_passwords(secure):
    c = secure.client
    u = "/kapacitor/v1/users"
    r = c.post(u, json={"name": "bob", "password": "s3cret", "permissions": ["api"]}, auth=ADMIN)
    assert r.json() == {
        "link": {"rel": "self", "href": "/kapacitor/v1/users/bob"},
        "name": "bob",
        "type": "normal",
        "permissions": ["api"],
    }
    bad = [
        ({"password": "x"}, "username is required"),
        ({"name": "b b", "password": "x"}, "username must contain only letters"),
        ({"name": "carl"}, "password is required"),
        ({"name": "carl", "password": "x", "permissions": ["root"]}, "invalid permissions"),
        ({"name": "bob", "password": "x"}, "already exists"),
    ]
    for body, text in bad:
        r = c.post(u, json=body, auth=ADMIN)
        assert r.status_code == 400 and text in r.json()["error"], (body, r.text)
    assert c.get(f"{u}/nobody", auth=ADMIN).status_code == 404
    listing = c.get(u, auth=ADMIN)
    assert [x["name"] for x in listing.json()["users"]] == ["admin", "bob"]
    r = c.patch(f"{u}/bob", json={"password": "n3w", "type": "admin"}, auth=ADMIN)
    assert r.json()["type"] == "admin"
    assert c.get("/kapacitor/v1/tasks", auth=("bob", "s3cret")).status_code == 401
    assert c.get("/kapacitor/v1/users", auth=("bob", "n3w")).status_code == 200
    for text in (listing.text, r.text, c.get(f"{u}/bob", auth=ADMIN).text):
        assert "s3cret" not in text and "n3w" not in text and "$2b$" not in text
        assert "password" not in text and "hash" not in text
    assert c.delete(f"{u}/bob", auth=ADMIN).status_code == 204
    assert c.get("/kapacitor/v1/tasks", auth=("bob", "n3w")).status_code == 401
    secure.restart()  # the first admin is kept, not recreated
    assert secure.client.get("/kapacitor/v1/tasks", auth=ADMIN).status_code == 200


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_jwt_bearer_tokens(secure):
    c = secure.client
    url = "/kapacitor/v1/tasks"
    good = jwt.encode({"username": "admin", "exp": time.time() + 60}, SECRET, algorithm="HS256")
    assert c.get(url, headers=_bearer(good)).status_code == 200
    cases = [
        (
            jwt.encode(
                {"username": "admin", "exp": time.time() + 60},
                "other-key-of-32-bytes-or-more!!!!",
                algorithm="HS256",
            ),
            "invalid token: signature is invalid",
        ),
        (jwt.encode({"username": "admin"}, SECRET, algorithm="HS256"), "token expiration required"),
        (
            jwt.encode({"username": "admin", "exp": time.time() - 60}, SECRET, algorithm="HS256"),
            "invalid token: Token is expired",
        ),
        (
            jwt.encode({"username": "admin", "exp": time.time() + 60}, None, algorithm="none"),
            "invalid token: unexpected signing method: none",
        ),
        (
            jwt.encode({"exp": time.time() + 60}, SECRET, algorithm="HS256"),
            "username in token must be a string",
        ),
        ("not-a-jwt", "invalid token: token contains an invalid number of segments"),
    ]
    for token, message in cases:
        r = c.get(url, headers=_bearer(token))
        assert (r.status_code, r.json()) == (401, {"error": message}), token


def test_jwt_with_another_algorithm_is_refused(secure):
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode({"username": "admin", "exp": time.time() + 60}, key, algorithm="RS256")
    r = secure.client.get("/kapacitor/v1/tasks", headers=_bearer(token))
    assert (r.status_code, r.json()) == (
        401,
        {"error": "invalid token: unexpected signing method: RS256"},
    )


EXEC_HANDLER = (
    '{"id": "pwn", "kind": "exec", "options": {"prog": "/usr/bin/touch", "args": ["%s"]}}'
)
TASK = '{"id": "pwn", "type": "stream", "dbrps": [{"db": "d", "rp": "r"}], "script": "stream|from().measurement(\'m\')|alert().crit(lambda: TRUE).topic(\'t\')", "status": "enabled"}'


def test_cross_site_attack_is_refused(server, tmp_path):
    """A page on another site posts text/plain (no pre-flight) to create an exec handler and task."""
    c = server.client
    marker = tmp_path / "pwned"
    evil = {"Origin": "http://evil.example", "Content-Type": "text/plain"}
    r = c.post(
        "/kapacitor/v1/alerts/topics/t/handlers", content=EXEC_HANDLER % marker, headers=evil
    )
    assert r.status_code == 415 and "application/json" in r.json()["error"]
    assert "Access-Control-Allow-Origin" not in r.headers
    r = c.post("/kapacitor/v1/tasks", content=TASK, headers=evil)
    assert r.status_code == 415
    assert c.get("/kapacitor/v1/tasks/pwn").status_code == 404
    assert c.get("/kapacitor/v1/alerts/topics/t/handlers/pwn").status_code == 404
    c.post("/write?db=d&rp=r", content=b"m v=1", headers=evil)  # line protocol stays accepted
    assert not marker.exists()
    # the same requests from a non-browser client (no Origin) still work
    r = c.post(
        "/kapacitor/v1/tasks",
        content=TASK.replace("pwn", "ok"),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text


def test_kkok_token_cannot_be_cleared_without_an_admin(server_factory):
    srv = server_factory(env={"KAPACITOR_KKOK_API_TOKEN": "kk-token"})
    r = srv.client.post("/kapacitor/v1/config/kkok/", json={"set": {"api-token": ""}})
    assert r.status_code == 403 and "authenticated admin" in r.json()["error"]
    assert srv.client.get("/filters").status_code == 401
    secure = server_factory(env={**SECURE_ENV, "KAPACITOR_KKOK_API_TOKEN": "kk-token"})
    r = secure.client.post(
        "/kapacitor/v1/config/kkok/", json={"set": {"api-token": "new"}}, auth=ADMIN
    )
    assert r.status_code == 204, r.text
    assert secure.client.get("/filters", headers=_bearer("new")).status_code == 200


@pytest.mark.parametrize(
    "env, message",
    [
        (
            {"KAPACITOR_HTTP_AUTH_ENABLED": "true", "KAPACITOR_AUTH_ENABLED": "false"},
            "auth-enabled",
        ),
        (
            {
                "KAPACITOR_HTTP_HTTPS_ENABLED": "true",
                "KAPACITOR_HTTP_HTTPS_CERTIFICATE": "/nonexistent.pem",
            },
            "https-certificate /nonexistent.pem: cannot read",
        ),
        ({"KAPACITOR_HTTP_HTTPS_ENABLED": "true"}, "https-certificate is empty"),
        ({"KAPACITOR_HTTP_AUTH_ENABLE": "true"}, "KAPACITOR_HTTP_AUTH_ENABLE"),
        ({"KAPACITOR_AUTH_META_ADDR": "meta:8091"}, "meta-addr"),
        ({"KAPACITOR_AUTH_BCRYPT_COST": "2"}, "bcrypt cost"),
    ],
)
def test_unhonourable_security_settings_stop_the_start(server_factory, env, message):
    srv = server_factory(env=env, start=False)
    with pytest.raises(RuntimeError, match="exited with 1"):
        srv.start()
    assert message in srv.logs()


def test_tls_with_a_self_signed_certificate(server_factory, tmp_path):
    import subprocess
    import sys

    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    pem = tmp_path / "server.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(pem))
    ca_pem = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_pem))
    env = {
        **SECURE_ENV,
        "KAPACITOR_HTTP_HTTPS_ENABLED": "true",
        "KAPACITOR_HTTP_HTTPS_CERTIFICATE": str(pem),
    }
    srv = server_factory(env=env, start=False)
    srv.scheme, srv.verify = "https", str(ca_pem)
    srv.start()
    url = f"https://127.0.0.1:{srv.port}"
    assert httpx.get(f"{url}/kapacitor/v1/ping", verify=str(ca_pem)).status_code == 204
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{srv.port}/kapacitor/v1/ping", timeout=5).raise_for_status()
    cli = [sys.executable, "-m", "kapacitrio", "list", "tasks"]
    creds_url = f"https://admin:admin-pass@127.0.0.1:{srv.port}"
    ok = subprocess.run(
        [*cli, "-url", creds_url, "-skipVerify"], capture_output=True, text=True, timeout=60
    )
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([*cli, "-url", creds_url], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 3 and "certificate" in bad.stderr.lower()
    noauth = subprocess.run(
        [*cli, "-url", url, "-skipVerify"], capture_output=True, text=True, timeout=60
    )
    assert noauth.returncode == 3 and "unable to parse authentication credentials" in noauth.stderr
    token = jwt.encode({"username": "admin", "exp": time.time() + 60}, SECRET, algorithm="HS256")
    env = {**os.environ, "KAPACITOR_URL": url, "KAPACITOR_UNSAFE_SSL": "true"}
    by_env = subprocess.run(
        cli, capture_output=True, text=True, timeout=60, env={**env, "KAPACITOR_TOKEN": token}
    )
    assert by_env.returncode == 0, by_env.stderr
    by_flag = subprocess.run(
        [*cli, "-token", token], capture_output=True, text=True, timeout=60, env=env
    )
    assert by_flag.returncode == 0, by_flag.stderr


def test_disabled_handlers_are_refused(server_factory):
    srv = server_factory(env={"KAPACITOR_ALERT_DISABLE_HANDLERS": "exec,log"})
    c = srv.client
    r = c.post(
        "/kapacitor/v1/alerts/topics/t/handlers",
        json={"id": "x", "kind": "exec", "options": {"prog": "/usr/bin/touch", "args": ["/tmp/x"]}},
    )
    assert (r.status_code, r.json()) == (400, {"error": "handler 'exec' is disabled"})
    r = c.post(
        "/kapacitor/v1/alerts/topics/t/handlers",
        json={"id": "y", "kind": "log", "options": {"path": "/tmp/k.log"}},
    )
    assert r.status_code == 400 and "disabled" in r.json()["error"]
    script = (
        "stream|from().measurement('m')|alert().crit(lambda: TRUE).exec('/usr/bin/touch', '/tmp/x')"
    )
    body = {
        "id": "t",
        "type": "stream",
        "dbrps": [{"db": "d", "rp": "r"}],
        "script": script,
        "status": "enabled",
    }
    r = c.post("/kapacitor/v1/tasks", json=body)
    assert r.status_code == 400 and "handler 'exec' is disabled" in r.json()["error"], r.text
    assert c.get("/kapacitor/v1/alerts/topics/t/handlers/x").status_code == 404
