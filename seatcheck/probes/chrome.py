"""Chromium's own view of its GPU, through the DevTools protocol (``SystemInfo.getInfo``).

The debugging port listens on 127.0.0.1 inside the chrome container's network namespace only.
seatcheck opens its socket from a thread that has entered that namespace (``setns``), so the
port is never exposed on the seat network, and every read has a deadline.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import socket
import threading
from dataclasses import dataclass
from typing import Any

from ..errors import ProbeError

DEBUG_PORT = 9222
CLONE_NEWNET = 0x40000000


def connect_in_netns(pid: int, port: int, timeout: float = 5.0) -> socket.socket:
    """A TCP socket to 127.0.0.1:``port`` in the network namespace of host process ``pid``."""
    box: dict[str, Any] = {}

    def enter_and_connect() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns failed")
            finally:
                os.close(fd)
            sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
            box["sock"] = sock
        except OSError as exc:
            box["error"] = exc

    # This thread's network namespace changes; it ends right after, the socket stays.
    thread = threading.Thread(target=enter_and_connect, daemon=True)
    thread.start()
    thread.join(timeout + 1)
    if "sock" not in box:
        raise ProbeError(
            f"cannot reach 127.0.0.1:{port} in pid {pid}'s network: {box.get('error')}"
        )
    sock: socket.socket = box["sock"]
    return sock


def _http_get_json(pid: int, path: str, timeout: float) -> Any:
    with connect_in_netns(pid, DEBUG_PORT, timeout) as sock:
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        sock.sendall(request.encode())
        data = b""
        while b"\r\n\r\n" not in data and (chunk := sock.recv(65536)):
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        while length and len(body) < int(length.group(1)) and (chunk := sock.recv(65536)):
            body += chunk
    if b" 200 " not in head.split(b"\r\n", 1)[0]:
        raise ProbeError(f"DevTools {path}: {head[:80]!r}")
    return json.loads(body)


def devtools_call(pid: int, method: str, timeout: float = 15.0) -> dict[str, Any]:
    """One DevTools protocol call on the browser target; returns its result."""
    import websocket  # websocket-client

    version = _http_get_json(pid, "/json/version", timeout)
    url = version["webSocketDebuggerUrl"]
    sock = connect_in_netns(pid, DEBUG_PORT, timeout)
    ws = websocket.create_connection(url, timeout=timeout, socket=sock, suppress_origin=True)
    try:
        ws.send(json.dumps({"id": 1, "method": method}))
        while True:
            reply = json.loads(ws.recv())
            if reply.get("id") == 1:
                break
    finally:
        ws.close()
    if "error" in reply:
        raise ProbeError(f"DevTools {method}: {reply['error']}")
    result: dict[str, Any] = reply["result"]
    return result


@dataclass(frozen=True)
class ChromeGpu:
    gl_renderer: str
    gl_version: str
    gl_vendor: str
    software_rendering: bool  # SwiftShader, or GPU compositing off: chromium draws in software
    feature_status: dict[str, str]
    browser: str


SOFTWARE_MARKERS = ("SwiftShader", "Subzero")


def parse_system_info(info: dict[str, Any], browser: str = "") -> ChromeGpu:
    gpu = info.get("gpu") or {}
    aux = gpu.get("auxAttributes") or {}
    renderer = str(aux.get("glRenderer", ""))
    devices = gpu.get("devices") or []
    status = {str(k): str(v) for k, v in (gpu.get("featureStatus") or {}).items()}
    software = (
        any(m in renderer for m in SOFTWARE_MARKERS)
        or any(
            any(m in str(d.get("deviceString", "")) for m in SOFTWARE_MARKERS) and d.get("active")
            for d in devices
        )
        or status.get("gpu_compositing", "").startswith("disabled")
    )
    return ChromeGpu(
        gl_renderer=renderer,
        gl_version=str(aux.get("glVersion", "")),
        gl_vendor=str(aux.get("glVendor", "")),
        software_rendering=software,
        feature_status=status,
        browser=browser,
    )


def gpu_info(pid: int, timeout: float = 15.0) -> ChromeGpu:
    version = _http_get_json(pid, "/json/version", timeout)
    return parse_system_info(
        devtools_call(pid, "SystemInfo.getInfo", timeout), version.get("Browser", "")
    )
