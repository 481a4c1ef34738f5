"""The lab's server over raw HTTP: every refusal (token, Origin, Host, size, malformed input) for
pages, API calls and websockets alike; tabs that do not disturb each other; the command line's
port handling and Ctrl-C."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

pytest.importorskip(
    "starlette", reason="the lab's server needs the lab extra: pip install 'tinygrad-lr[lab]'"
)

from tinygrad_lr.compare import allclose
from tinygrad_lr.lab.serve import LabServer
from tinygrad_lr.lab.server import MAX_BODY
from tinygrad_lr.lab.session import first_state


@pytest.fixture(scope="module")
def lab() -> Iterator[LabServer]:
    server = LabServer(first_state, port=0)
    server.start()
    yield server
    server.stop()


def raw(server: LabServer, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``request`` as it is and read the whole answer: (status, headers, body)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(request)
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data:
                head, _, body = data.partition(b"\r\n\r\n")
                length = [ln for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length:")]
                if length and len(body) >= int(length[0].split(b":")[1]):
                    break
                if head.startswith(b"HTTP/1.1 101"):
                    break
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    return status, headers, body


def request(
    server: LabServer,
    method: str,
    path: str,
    *,
    token: str | None = "ok",
    host: str | None = None,
    origin: str | None = None,
    body: bytes | None = None,
    extra: str = "",
) -> tuple[int, dict[str, str], bytes]:
    tok = server.token if token == "ok" else token
    sep = "&" if "?" in path else "?"
    target = path + (f"{sep}token={tok}" if tok is not None else "")
    lines = [
        f"{method} {target} HTTP/1.1",
        f"Host: {host or f'127.0.0.1:{server.port}'}",
        "Connection: close",
    ]
    if origin is not None:
        lines.append(f"Origin: {origin}")
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    text = "\r\n".join(lines) + "\r\n" + extra + "\r\n"
    return raw(server, text.encode("latin-1") + (body or b""))


def websocket(
    server: LabServer,
    path: str,
    *,
    token: str | None = "ok",
    host: str | None = None,
    origin: str | None = None,
) -> int:
    key = base64.b64encode(os.urandom(16)).decode()
    extra = (
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
    )
    tok = server.token if token == "ok" else token
    target = path + (f"?token={tok}" if tok is not None else "")
    lines = [f"GET {target} HTTP/1.1", f"Host: {host or f'127.0.0.1:{server.port}'}"]
    if origin is not None:
        lines.append(f"Origin: {origin}")
    return raw(server, ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode())[0]


def new_session(server: LabServer) -> str:
    status, _, body = request(server, "POST", "/api/sessions", body=b"{}")
    assert status == 200
    return json.loads(body)["session"]


def act(server: LabServer, sid: str, action: dict) -> tuple[int, dict]:
    status, _, body = request(server, "POST", f"/api/sessions/{sid}", body=json.dumps(action).encode())
    return status, json.loads(body)


# --- what is let in ------------------------------------------------------------------------------


def test_the_page_its_assets_and_the_api_answer_with_the_token(lab):
    status, headers, body = request(lab, "GET", "/")
    assert status == 200 and b"The live lab" in body
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"
    for name in ("page.js", "plots.js", "graph.js", "page.css"):
        assert request(lab, "GET", f"/assets/{name}")[0] == 200
    sid = new_session(lab)
    status, answer = act(lab, sid, {"op": "step"})
    assert status == 200 and allclose(answer["view"]["params"]["w"], 1.4, rtol=0.0, atol=1e-15)
    assert websocket(lab, f"/ws/{sid}", origin=f"http://127.0.0.1:{lab.port}") == 101
    assert request(lab, "GET", "/", host=f"localhost:{lab.port}")[0] == 200
    # the token may come as a header instead of in the query
    status, _, _ = request(lab, "GET", "/", token=None, extra=f"Authorization: token {lab.token}\r\n")
    assert status == 200


def test_it_listens_on_127_0_0_1_only(lab):
    assert lab.socket.getsockname()[0] == "127.0.0.1"


# --- refusals: 403 without the token, from another origin, for another host ----------------------

WRONG = {"token": None}, {"token": "not-the-token"}, {"token": ""}


@pytest.mark.parametrize("how", WRONG, ids=["no token", "wrong token", "empty token"])
def test_no_or_wrong_token_is_refused_everywhere(lab, how):
    sid = new_session(lab)
    assert request(lab, "GET", "/", **how)[0] == 403
    assert request(lab, "GET", "/assets/page.js", **how)[0] == 403
    status, _, body = request(lab, "POST", "/api/sessions", body=b"{}", **how)
    assert status == 403 and "token" in json.loads(body)["error"]
    assert request(lab, "POST", f"/api/sessions/{sid}", body=b'{"op": "step"}', **how)[0] == 403
    assert websocket(lab, f"/ws/{sid}", **how) == 403
    assert act(lab, sid, {"op": "view"})[1]["view"]["update"] == 0  # the refused step changed nothing


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:1", "https://127.0.0.1"])
def test_another_origin_is_refused(lab, origin):
    sid = new_session(lab)
    status, _, body = request(lab, "POST", f"/api/sessions/{sid}", body=b'{"op": "step"}', origin=origin)
    assert status == 403 and "another site" in json.loads(body)["error"]
    assert request(lab, "GET", "/", origin=origin)[0] == 403
    assert websocket(lab, f"/ws/{sid}", origin=origin) == 403
    assert act(lab, sid, {"op": "view"})[1]["view"]["update"] == 0


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:{port}", "127.0.0.1:1", "192.168.0.1:{port}", ""]
)
def test_a_foreign_host_header_is_refused(lab, host):
    host = host.format(port=lab.port) or " "
    sid = new_session(lab)
    status, _, body = request(lab, "GET", "/", host=host)
    assert status in (400, 403)
    if status == 403:
        assert "DNS rebinding" in json.loads(body)["error"]
    assert request(lab, "POST", f"/api/sessions/{sid}", body=b'{"op": "step"}', host=host)[0] in (400, 403)
    assert websocket(lab, f"/ws/{sid}", host=host) in (400, 403)
    assert act(lab, sid, {"op": "view"})[1]["view"]["update"] == 0


# --- malformed and oversized requests: 400 / 413 with a message, nothing changes -------------------


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b'{"op": "set_params", "w": NaN, "b": 0}', 400, "NaN"),
        (b'{"op": "set_params", "w": Infinity, "b": 0}', 400, "Infinity"),
        (b'["step"]', 400, "JSON object"),
        (b"\xff\xfe", 400, "not valid JSON"),
        (b'{"op": "launch"}', 400, "unknown action"),
        (b'{"op": "set_params", "w": "1", "b": 0}', 400, "must be a number"),
        (b'{"op": "set_data", "x": [], "y": []}', 400, "at least one data point"),
    ],
)
def test_malformed_requests_are_400_and_change_nothing(lab, body, status, words):
    sid = new_session(lab)
    got, _, answer = request(lab, "POST", f"/api/sessions/{sid}", body=body)
    assert got == status and words in json.loads(answer)["error"]
    assert act(lab, sid, {"op": "view"})[1]["view"]["params"] == {"w": 1.0, "b": 0.0}


def test_an_oversized_body_is_413(lab):
    sid = new_session(lab)
    big = json.dumps({"op": "csv", "name": "a.csv", "text": "1,2\n" * (MAX_BODY // 4 + 10)}).encode()
    status, _, body = request(lab, "POST", f"/api/sessions/{sid}", body=big)
    assert status == 413 and "larger than" in json.loads(body)["error"]
    # a length it claims but never sends is refused before any of it is read
    claim = f"Content-Type: application/json\r\nContent-Length: {MAX_BODY + 1}\r\n"
    assert request(lab, "POST", f"/api/sessions/{sid}", extra=claim)[0] == 413
    assert act(lab, sid, {"op": "view"})[1]["view"]["update"] == 0


def test_an_unknown_session_or_route_is_404_with_a_message(lab):
    status, _, body = request(lab, "POST", "/api/sessions/nope", body=b'{"op": "step"}')
    assert status == 404 and "reload" in json.loads(body)["error"]
    assert request(lab, "GET", "/assets/../serve.py")[0] == 404
    assert request(lab, "GET", "/assets/secret.py")[0] == 404


def test_a_damaged_link_is_400(lab):
    status, _, body = request(lab, "POST", "/api/sessions", body=b'{"code": "eJzLSM3JyQcABiwCFQ"}')
    assert status == 400 and "lab state" in json.loads(body)["error"]


def test_websocket_actions_and_their_refusals(lab):
    from websockets.sync.client import connect

    sid = new_session(lab)
    url = f"ws://127.0.0.1:{lab.port}/ws/{sid}?token={lab.token}"
    with connect(url, origin=f"http://127.0.0.1:{lab.port}") as ws:
        ws.send(json.dumps({"op": "step", "tag": 1}))
        answer = json.loads(ws.recv())
        assert answer["tag"] == 1 and answer["view"]["update"] == 1
        ws.send('{"op": "set_params", "w": NaN, "b": 0}')
        answer = json.loads(ws.recv())
        assert answer["status"] == 400 and "NaN" in answer["error"]
        ws.send(json.dumps({"op": "set_params", "w": 1e300, "b": 0, "tag": 2}))
        answer = json.loads(ws.recv())
        assert answer["status"] == 400 and answer["tag"] == 2
    assert act(lab, sid, {"op": "view"})[1]["view"]["update"] == 1


def test_two_tabs_do_not_disturb_each_other(lab):
    a, b = new_session(lab), new_session(lab)
    act(lab, a, {"op": "step", "count": 3})
    act(lab, b, {"op": "set_params", "w": 2.0, "b": 1.0})
    va, vb = act(lab, a, {"op": "view"})[1]["view"], act(lab, b, {"op": "view"})[1]["view"]
    assert va["update"] == 3 and va["params"]["w"] != 2.0
    assert vb["update"] == 0 and vb["params"] == {"w": 2.0, "b": 1.0} and vb["loss"] == 0.0


def test_a_tab_opens_the_state_of_its_link(lab):
    a = new_session(lab)
    code = act(lab, a, {"op": "step", "count": 2})[1]["view"]["code"]
    status, _, body = request(lab, "POST", "/api/sessions", body=json.dumps({"code": code}).encode())
    view = json.loads(body)["view"]
    assert status == 200 and view["update"] == 2 and view["code"] == code


# --- the command line: the port, Ctrl-C, bad files -------------------------------------------------


def start_cli(*args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tinygrad_lr", "lab", "--no-browser", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, line


def test_ctrl_c_stops_the_lab_cleanly_with_exit_130():
    proc, line = start_cli("--port", "0")
    try:
        assert "the lab is at http://127.0.0.1:" in line and "?token=" in line
        url = line.split("the lab is at ")[1].strip()
        port = int(url.split(":")[2].split("/")[0])
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert "Traceback" not in err and "stopped" in err


def test_a_port_in_use_is_reported_or_another_taken(lab):
    proc = subprocess.run(
        [sys.executable, "-m", "tinygrad_lr", "lab", "--no-browser", "--port", str(lab.port)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"tinygrad-lr lab: error: port {lab.port} on 127.0.0.1 is in use "
        "(by another program, or another lab); choose another with --port N, or --port 0 for any free port"
    )
    from tinygrad_lr.lab import serve

    taken = socket.socket()
    try:
        taken.bind(("127.0.0.1", serve.DEFAULT_PORT))
        taken.listen(1)
    except OSError:
        taken.close()
        pytest.skip(f"port {serve.DEFAULT_PORT} is already used on this machine")
    try:
        sock, note = serve.bind(None)
        sock.close()
        assert f"port {serve.DEFAULT_PORT} was in use; the lab took" in note or "were in use" in note
    finally:
        taken.close()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["{tmp}"], "is a directory, not a CSV file"),
        (["{tmp}/missing.csv"], "no such file"),
        (["{tmp}/three.csv"], "choose one with --feature"),
        (["{tmp}/nan.csv"], "is not a finite number"),
        (["--state", "garbage"], "lab state"),
        (["--port", "70000"], "port must be a whole number"),
        (["--feature", "x"], "--feature and --target choose columns of a CSV file"),
    ],
)
def test_bad_input_on_the_command_line_is_one_line(tmp_path, args, words):
    (tmp_path / "three.csv").write_text("a,b,c\n1,2,3\n4,5,6\n")
    (tmp_path / "nan.csv").write_text("x,y\n1,nan\n")
    argv = [a.format(tmp=tmp_path) for a in args]
    proc = subprocess.run(
        [sys.executable, "-m", "tinygrad_lr", "lab", "--no-browser", *argv],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert words in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


def test_a_million_points_are_refused_whole(lab, tmp_path):
    """10^6 points: as an action, a 413 before the body is read; as a file, one line."""
    sid = new_session(lab)
    body = json.dumps({"op": "set_data", "x": [1.0] * 10**6, "y": [2.0] * 10**6}).encode()
    head = (
        f"POST /api/sessions/{sid}?token={lab.token} HTTP/1.1\r\nHost: 127.0.0.1:{lab.port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    # the answer comes before the body is read: the client is cut off while it still sends
    status, _, answer = raw(lab, head.encode() + body[:65536])
    assert status == 413 and "larger than" in json.loads(answer)["error"]
    assert act(lab, sid, {"op": "view"})[1]["view"]["data"]["x"] == [1.0, 2.0, 3.0]
    big = tmp_path / "million.csv"
    big.write_text("x,y\n" + "1,2\n" * 10**6)
    argv = [sys.executable, "-m", "tinygrad_lr", "lab", "--no-browser", str(big)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "1000000 rows, more than the lab shows (1000); use a sample" in proc.stderr
