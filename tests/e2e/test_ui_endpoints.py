"""The UI's server side against the real process: the page, its files, script checks and DAG layout."""

from __future__ import annotations


def test_ui_page_files_and_checks(server):
    c = server.client
    page = c.get("/")
    assert page.status_code == 200 and 'src="/ui/js/app.js"' in page.text
    assert c.get("/ui/js/app.js").headers["content-type"].startswith("text/javascript")
    assert c.get("/ui/js/nope.js").status_code == 404
    bad = c.post(f"{server.preview}/tasks/validate", json={"script": "stream\n |from().foo()\n"})
    assert bad.status_code == 200
    assert bad.json()["valid"] is False and bad.json()["line"] == 2
    good = c.post(
        f"{server.preview}/tasks/validate",
        json={"script": "stream\n |from().measurement('cpu')\n |httpOut('x')\n"},
    )
    assert good.json()["valid"] is True and "from1 -> http_out2" in good.json()["dot"]
    assert c.post(f"{server.preview}/tasks/validate", content=b"nope").status_code == 400
    fmt = c.post(f"{server.preview}/tasks/format", json={"script": "stream|from()"})
    assert fmt.json()["script"] == "stream\n    |from()\n"
    assert c.post(f"{server.preview}/tasks/format", json={"script": "stream|"}).status_code == 400
    lay = c.post(
        f"{server.preview}/dag/layout",
        json={"dot": "digraph t {\na0 -> b1;\n}", "engine": "layered"},
    )
    assert lay.json()["engine"] == "layered"
    assert [n["id"] for n in lay.json()["nodes"]] == ["a0", "b1"]
    assert c.post(f"{server.preview}/dag/layout", json={"dot": "graph"}).status_code == 400
