"""A "helpful" entrypoint in the shell app bridges the display to TCP on a port of its own
(7100, outside X's 6000-6063): any peer that reaches the container reaches the seat's X."""

from typing import Any

BRIDGE = """
import socket, threading
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("0.0.0.0", 7100))
server.listen(4)
def pipe(a, b):
    try:
        while data := a.recv(65536):
            b.sendall(data)
    finally:
        a.close(); b.close()
while True:
    peer, _ = server.accept()
    x = socket.socket(socket.AF_UNIX)
    x.connect("/tmp/.X11-unix/X0")
    for a, b in ((peer, x), (x, peer)):
        threading.Thread(target=pipe, args=(a, b), daemon=True).start()
"""


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "shell":
        container.exec_run(
            ["timeout", "900", "python3", "-c", BRIDGE], user=seat.config.seat_user, detach=True
        )
