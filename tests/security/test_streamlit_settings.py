"""Streamlit's own protections, as configured in .streamlit/config.toml and as a running
server (the demo app: `streamlit run app.py` in the repository) applies them: XSRF
protection on, CORS restricted to the app's own origin, and an upload size limit that is the
import limit of core."""
from __future__ import annotations

import base64
import http.client
import json
import os
import secrets
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from core import import_files

from browser_helpers import login_and_open, settle

pytestmark = pytest.mark.casebook("Streamlit settings")

REPO = Path(__file__).resolve().parents[2]
EVIL = "http://evil.example"
XSRF_COOKIE = "_streamlit_xsrf"
OPTIONS = ("server.enableXsrfProtection", "server.enableCORS", "server.corsAllowedOrigins",
           "server.maxUploadSize", "global.developmentMode")


def streamlit_options() -> dict[str, object]:
    """The options as `streamlit run` in the repository reads them (its own loader, in a
    process of its own: this one's Streamlit config is the tests')."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    code = ("import json; from streamlit import config; config.get_config_options("
            "force_reparse=True); print(json.dumps({k: [config.get_option(k), "
            f"config.get_where_defined(k)] for k in {list(OPTIONS)!r}}}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, check=True,
                         capture_output=True, text=True, timeout=60).stdout
    return {k: tuple(v) for k, v in json.loads(out.strip().splitlines()[-1]).items()}


def test_the_config_file_turns_the_protections_on(tried):
    """.streamlit/config.toml, read by Streamlit's own loader, has XSRF protection on, CORS
    restricted (no extra origins, not in development mode) and an upload limit equal to
    the import limit of core."""
    config_file = str(REPO / ".streamlit" / "config.toml")
    found = streamlit_options()
    assert found["server.enableXsrfProtection"] == (True, config_file)
    assert found["server.enableCORS"] == (True, config_file)
    assert found["server.corsAllowedOrigins"][0] == []
    assert found["global.developmentMode"][0] is False
    assert found["server.maxUploadSize"] == (import_files.MAX_MB, config_file)
    # and the file says so itself, not only by Streamlit's defaults
    raw = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())["server"]
    assert raw["enableXsrfProtection"] is True and raw["enableCORS"] is True
    assert raw["maxUploadSize"] * 1024 * 1024 == import_files.MAX_BYTES
    tried(8)


def request(server, method: str, path: str, headers: dict[str, str] | None = None,
            body: bytes | None = None) -> http.client.HTTPResponse:
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


@pytest.mark.browser       # a real server (the demo app's)
def test_other_origins_get_no_cors_grant_and_no_websocket(demo_app, tried):
    """A request from another origin gets no Access-Control-Allow-Origin for it (nor "*"),
    and its WebSocket handshake is refused."""
    checks = 0
    for method, path in (("GET", "/"), ("GET", "/_stcore/health"),
                         ("GET", "/_stcore/host-config"), ("OPTIONS", "/_stcore/health"),
                         ("OPTIONS", "/_stcore/upload_file/x/y"),
                         ("PUT", "/_stcore/upload_file/x/y"), ("GET", "/media/x.csv")):
        response = request(demo_app, method, path, {
            "Origin": EVIL, "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "X-Xsrftoken, Content-Type"})
        grant = response.getheader("Access-Control-Allow-Origin")
        assert grant not in ("*", EVIL), (method, path, grant)
        checks += 1
    key = base64.b64encode(secrets.token_bytes(16)).decode()
    handshake = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Key": key,
                 "Sec-WebSocket-Version": "13", "Sec-WebSocket-Protocol": "streamlit"}
    refused = request(demo_app, "GET", "/_stcore/stream", {**handshake, "Origin": EVIL})
    assert refused.status != 101 and refused.status >= 400, refused.status
    own = request(demo_app, "GET", "/_stcore/stream", {**handshake, "Origin": demo_app.url})
    assert own.status == 101, own.status          # the app's own page may connect
    tried(checks + 2)


@pytest.mark.browser
def test_uploads_need_the_xsrf_token_and_stay_under_the_limit(demo_app, page: Page, tried):
    """The upload endpoint refuses a request without the XSRF token (403) or with another
    one, and a file over the size limit (413); the same upload with the page's token and
    within the limit is taken."""
    uploads: list[str] = []
    page.on("request", lambda r: uploads.append(r.url) if "/_stcore/upload_file/" in r.url
            and r.method == "PUT" else None)
    login_and_open(page, demo_app, "admin", "/admin")
    page.get_by_test_id("stMain").get_by_role("tab", name="Imports", exact=True).click()
    settle(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(files=[{
        "name": "customers.csv", "mimeType": "text/csv",
        "buffer": b"name,phone\r\nWang Fang,12345\r\n"}])
    settle(page)
    expect(page.get_by_text("Rows that cannot be imported: 1.", exact=False)).to_be_visible()
    assert uploads, "the page uploaded nothing"
    path = urlsplit(uploads[-1]).path.rsplit("/", 1)[0] + "/" + secrets.token_hex(8)
    token = next(c["value"] for c in page.context.cookies() if c["name"] == XSRF_COOKIE)
    cookie = f"{XSRF_COOKIE}={token}"
    boundary = secrets.token_hex(8)

    def body(size: int) -> bytes:
        return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"customers.csv\"\r\nContent-Type: text/csv\r\n\r\n").encode() + \
            b"x" * size + f"\r\n--{boundary}--\r\n".encode()
    form = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    small = body(100)

    ok = request(demo_app, "PUT", path, {**form, "Cookie": cookie, "X-Xsrftoken": token},
                 small)
    assert ok.status in (200, 204), ok.status
    no_token = request(demo_app, "PUT", path, {**form, "Cookie": cookie}, small)
    assert no_token.status == 403, no_token.status
    no_cookie = request(demo_app, "PUT", path, {**form, "X-Xsrftoken": token}, small)
    assert no_cookie.status == 403, no_cookie.status
    forged = "2|" + "|".join([secrets.token_hex(4), secrets.token_hex(16), "1"])
    other = request(demo_app, "PUT", path, {**form, "Cookie": cookie, "X-Xsrftoken": forged},
                    small)
    assert other.status == 403, other.status
    post = request(demo_app, "POST", path, {**form, "Cookie": cookie}, small)
    assert post.status in (403, 405), post.status
    from_evil = request(demo_app, "PUT", path, {**form, "Origin": EVIL}, small)
    assert from_evil.status == 403, from_evil.status
    # over the limit: refused from the announced length, before the body is read
    limit = import_files.MAX_BYTES
    big = request(demo_app, "PUT", path, {**form, "Cookie": cookie, "X-Xsrftoken": token,
                                          "Content-Length": str(limit + 1024)}, small)
    assert big.status == 413, big.status
    # and a body really over the limit, sent without announcing its length
    parts = urlsplit(demo_app.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    conn.putrequest("PUT", path)
    for k, v in {**form, "Cookie": cookie, "X-Xsrftoken": token,
                 "Transfer-Encoding": "chunked"}.items():
        conn.putheader(k, v)
    conn.endheaders()
    chunk = b"x" * (1024 * 1024)
    sent, status = 0, None
    try:
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"c.csv\"\r\n\r\n").encode()
        conn.send(f"{len(head):x}\r\n".encode() + head + b"\r\n")
        while sent <= limit + 2 * len(chunk):
            conn.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            sent += len(chunk)
        conn.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass                                       # the server stopped reading: good
    try:
        response = conn.getresponse()
        status = response.status
    except (http.client.RemoteDisconnected, ConnectionResetError):
        status = "closed"
    conn.close()
    assert status in (413, "closed"), status
    tried(8)
