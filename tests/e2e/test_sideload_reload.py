"""End-to-end: a sideload node reading a directory, and `POST /sideload/reload`."""

from __future__ import annotations

from kapacitrio.testing.polling import wait_for

TASKS = "/kapacitor/v1/tasks"


def test_sideload_reload(server, tmp_path):
    side = tmp_path / "side"
    side.mkdir()
    (side / "A.yml").write_text("threshold: 5.0\n")
    c = server.client
    script = (
        f"stream|from().measurement('cpu')|sideload().source('file://{side}')"
        ".order('{{.host}}.yml').field('threshold', 0.0)|httpOut('out')"
    )
    r = c.post(
        TASKS,
        json={
            "id": "s",
            "type": "stream",
            "dbrps": [{"db": "db", "rp": "rp"}],
            "script": script,
            "status": "enabled",
        },
    )
    assert r.status_code == 200, r.text

    def threshold(t):
        c.post(
            "/write",
            params={"db": "db", "rp": "rp", "precision": "s"},
            content=f"cpu,host=A v=1 {t}",
        )

        def got():
            series = c.get(TASKS + "/s/out").json().get("series") or []
            if series and series[0]["values"][0][0].endswith(f":{t - 31536000:02d}Z"):
                return dict(zip(series[0]["columns"], series[0]["values"][0], strict=True))
            return None

        return wait_for(got)

    row = threshold(31536000)
    assert row["threshold"] == 5.0
    (side / "A.yml").write_text("threshold: 7.5\n")
    r = c.post("/kapacitor/v1/sideload/reload")
    assert r.status_code == 204, r.text
    row = threshold(31536001)
    assert row["threshold"] == 7.5
    (side / "A.yml").write_text("- broken\n")
    r = c.post("/kapacitor/v1/sideload/reload")
    assert r.status_code == 500
    assert "task s, node sideload" in r.json()["error"]
