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


def devtools_call(
    pid: int,
    method: str,
    timeout: float = 15.0,
    params: dict[str, Any] | None = None,
    target_url: str = "",
) -> dict[str, Any]:
    """One DevTools protocol call on the browser target (or the target at ``target_url``,
    a page's webSocketDebuggerUrl); returns its result."""
    import websocket  # websocket-client

    url = target_url or _http_get_json(pid, "/json/version", timeout)["webSocketDebuggerUrl"]
    sock = connect_in_netns(pid, DEBUG_PORT, timeout)
    ws = websocket.create_connection(url, timeout=timeout, socket=sock, suppress_origin=True)
    try:
        ws.send(json.dumps({"id": 1, "method": method, "params": params or {}}))
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
    skia_backend: str = ""  # what rasters and composites: GaneshGL, GaneshVulkan, Graphite...
    gl_implementation: str = ""  # e.g. (gl=egl-angle,angle=opengl)
    hardware_vulkan: bool = False  # whether chromium found a Vulkan device of the machine's
    software_named: tuple[str, ...] = ()  # every place chromium's GPU state names a software path


SOFTWARE_MARKERS = ("SwiftShader", "Subzero")


def _software_named(gpu: dict[str, Any]) -> tuple[str, ...]:
    """Every value of chromium's GPU state that names its software fallback, with where."""
    found = []
    places: list[tuple[str, Any]] = [
        *((f"auxAttributes.{k}", v) for k, v in (gpu.get("auxAttributes") or {}).items()),
        *((f"devices[{i}]", d) for i, d in enumerate(gpu.get("devices") or [])),
    ]
    for where, value in places:
        text = json.dumps(value).lower()
        if any(m.lower() in text for m in SOFTWARE_MARKERS):
            found.append(f"{where}: {json.dumps(value)[:120]}")
    return tuple(found)


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
        skia_backend=str(aux.get("skiaBackendType", "")),
        gl_implementation=str(aux.get("glImplementationParts", "")),
        hardware_vulkan=bool(aux.get("hardwareSupportsVulkan", False)),
        software_named=_software_named(gpu),
    )


def gpu_info(pid: int, timeout: float = 15.0) -> ChromeGpu:
    version = _http_get_json(pid, "/json/version", timeout)
    return parse_system_info(
        devtools_call(pid, "SystemInfo.getInfo", timeout), version.get("Browser", "")
    )


# What a web page gets: a WebGL and a WebGL2 context, and the renderer each names (the
# unmasked one, as WEBGL_debug_renderer_info gives it; null where the page gets no context).
PAGE_WEBGL = """JSON.stringify(Object.fromEntries(['webgl', 'webgl2'].map(kind => {
  const gl = document.createElement('canvas').getContext(kind);
  if (!gl) return [kind, null];
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  return [kind, String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER))];
})))"""


def page_webgl(pid: int, title: str, timeout: float = 15.0) -> dict[str, str | None]:
    """The WebGL and WebGL2 renderers a page titled ``title`` gets (None: no context)."""
    targets = _http_get_json(pid, "/json/list", timeout)
    pages = [t for t in targets if t.get("type") == "page" and title in str(t.get("title"))]
    if not pages:
        raise ProbeError(f"no page titled {title!r} among chromium's targets: {targets}")
    result = devtools_call(
        pid, "Runtime.evaluate", timeout,
        {"expression": PAGE_WEBGL, "returnByValue": True},
        target_url=str(pages[0]["webSocketDebuggerUrl"]),
    )  # fmt: skip
    value = (result.get("result") or {}).get("value")
    if not isinstance(value, str):
        raise ProbeError(f"the page's WebGL probe gave no answer: {result}")
    found = json.loads(value)
    return {k: (None if v is None else str(v)) for k, v in found.items()}
