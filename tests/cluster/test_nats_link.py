"""A cluster member's NATS link against a real `nats-server`: TLS, tokens, NKeys, the shared cluster id.

Each test starts its own nats-server on a free loopback port (certificates made by `trustme`) and
connects `NatsLink`s to it as a member would.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import nkeys
import pytest
import trio
import trustme

from kapacitrio.cluster.config import ClusterConfig
from kapacitrio.cluster.link import NatsLink
from kapacitrio.cluster.service import CLUSTER_ID_KEY
from tests.cluster.netns import NATS_SERVER

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not shutil.which(NATS_SERVER), reason="nats-server is not installed"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def nats_server(tmp: Path, extra: str) -> Iterator[str]:
    """A JetStream nats-server with `extra` config on loopback; yields its host:port."""
    port = _free_port()
    conf = tmp / "nats.conf"
    conf.write_text(
        f'listen: 127.0.0.1:{port}\njetstream {{ store_dir: "{tmp / "js"}" }}\n{extra}\n'
    )
    log = open(tmp / "nats.log", "ab")
    proc = subprocess.Popen([NATS_SERVER, "-c", str(conf)], stdout=log, stderr=log)
    log.close()
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError((tmp / "nats.log").read_text())
            time.sleep(0.05)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def member(addr: str, scheme: str = "nats", **options: object) -> ClusterConfig:
    cfg = ClusterConfig(enabled=True, nats_urls=[f"{scheme}://{addr}"], prefix="t", **options)
    cfg.validate()
    return cfg


async def connect(cfg: ClusterConfig, name: str = "m1", *, within: float = 10.0) -> NatsLink:
    """The link once connected and set up; raises `TimeoutError` carrying why it could not."""
    link = NatsLink(cfg, name)
    async with trio.open_nursery() as nursery:
        with trio.move_on_after(within):
            await nursery.start(link.run)
            await link.kv_put(link.names.state, "probe", b"1")
            assert await link.kv_get(link.names.state, "probe") == b"1"
            nursery.cancel_scope.cancel()
            return link
        nursery.cancel_scope.cancel()
    raise TimeoutError(link.connect_error)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("pki")
    ca, other = trustme.CA(), trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    client = ca.issue_cert("kapacitrio-member")
    paths = {
        "ca": d / "ca.pem",
        "other_ca": d / "other.pem",
        "server_cert": d / "server.pem",
        "server_key": d / "server.key",
        "client_cert": d / "client.pem",
        "client_key": d / "client.key",
    }
    ca.cert_pem.write_to_path(str(paths["ca"]))
    other.cert_pem.write_to_path(str(paths["other_ca"]))
    server.cert_chain_pems[0].write_to_path(str(paths["server_cert"]))
    server.private_key_pem.write_to_path(str(paths["server_key"]))
    client.cert_chain_pems[0].write_to_path(str(paths["client_cert"]))
    client.private_key_pem.write_to_path(str(paths["client_key"]))
    return {k: str(v) for k, v in paths.items()}


def tls_block(pki: dict[str, str], verify: bool) -> str:
    return (
        f'tls {{ cert_file: "{pki["server_cert"]}", key_file: "{pki["server_key"]}", '
        f'ca_file: "{pki["ca"]}", verify: {"true" if verify else "false"}, timeout: 2 }}'
    )


async def test_tls_with_the_right_ca_connects_and_a_wrong_ca_is_refused_clearly(
    tmp_path: Path, pki: dict[str, str]
) -> None:
    with nats_server(tmp_path, tls_block(pki, verify=False)) as addr:
        await connect(member(addr, "tls", ssl_ca=pki["ca"]))
        with pytest.raises(TimeoutError, match="CERTIFICATE_VERIFY_FAILED"):
            await connect(member(addr, "tls", ssl_ca=pki["other_ca"]), within=4)
        # the same refusal without tls:// in the URL: the CA option alone turns TLS on
        with pytest.raises(TimeoutError, match="CERTIFICATE_VERIFY_FAILED"):
            await connect(member(addr, ssl_ca=pki["other_ca"]), within=4)
        # skipping verification is possible (and only that makes a wrong CA work)
        await connect(member(addr, "tls", ssl_ca=pki["other_ca"], insecure_skip_verify=True))


async def test_a_server_that_wants_client_certificates_gets_ours(
    tmp_path: Path, pki: dict[str, str]
) -> None:
    with nats_server(tmp_path, tls_block(pki, verify=True)) as addr:
        good = member(addr, "tls", ssl_ca=pki["ca"])
        with pytest.raises(TimeoutError):  # no client certificate: the server hangs up
            await connect(good, within=4)
        good = member(
            addr, "tls", ssl_ca=pki["ca"], ssl_cert=pki["client_cert"], ssl_key=pki["client_key"]
        )
        await connect(good)


async def test_token_and_nkey_sign_in(tmp_path: Path) -> None:
    seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
    public = nkeys.from_seed(bytearray(seed)).public_key.decode()
    seed_file = tmp_path / "user.nk"
    seed_file.write_bytes(seed)
    auth = (
        "authorization { users: ["
        f'{{ nkey: "{public}" }}, {{ user: "u", password: "tok-pass" }} ] }}'
    )
    with nats_server(tmp_path, auth) as addr:
        await connect(member(addr, nkeys_seed=str(seed_file)))
        await connect(member(addr, username="u", password="tok-pass"))
        with pytest.raises(TimeoutError, match="[Aa]uthorization"):
            await connect(member(addr, username="u", password="wrong"), within=4)
    with nats_server(tmp_path, 'authorization { token: "s3cret" }') as addr:
        await connect(member(addr, token="s3cret"))
        with pytest.raises(TimeoutError, match="[Aa]uthorization"):
            await connect(member(addr, token="nope"), within=4)


def test_unreadable_tls_and_key_files_are_config_errors(tmp_path: Path) -> None:
    missing = str(tmp_path / "none.pem")
    for option in ("ssl_ca", "ssl_cert", "nkeys_seed", "credentials_file"):
        with pytest.raises(ValueError, match=option.replace("_", "-")):
            ClusterConfig(enabled=True, **{option: missing}).validate()
    with pytest.raises(ValueError, match="ssl-key needs ssl-cert"):
        ClusterConfig(ssl_key=missing).validate()
    ClusterConfig(enabled=False, ssl_ca=missing).validate()  # not read while clustering is off


async def test_the_first_members_cluster_id_is_everyones(tmp_path: Path) -> None:
    with nats_server(tmp_path, "") as addr:
        cfg = member(addr)
        ids = []
        for name, proposed in (("m1", "id-one"), ("m2", "id-two")):
            link = NatsLink(cfg, name)
            async with trio.open_nursery() as nursery:
                await nursery.start(link.run)
                got = await link.kv_create(link.names.defs, CLUSTER_ID_KEY, proposed.encode())
                ids.append(got.decode())
                nursery.cancel_scope.cancel()
        assert ids == ["id-one", "id-one"]
