"""The browser app: Debian's chromium (standing in for Google Chrome) on the seat's display.

``present`` opens a page of one colour that plays a WebAudio tone, with the DevTools port open
on the container's loopback so that the probe can ask chromium for its own GPU state. Chromium
treats llvmpipe as software and would fall back to SwiftShader: ``--ignore-gpu-blocklist``
makes it use the seat's Mesa, which is what is under test.
"""

from __future__ import annotations

from urllib.parse import quote

from .. import roles
from ..engine import execs
from ..probes.chrome import DEBUG_PORT
from .base import AppDriver, Launch, Presentation, unique_title

PAGE = """<!doctype html><title>{title}</title>
<body style="margin:0;background:rgb({r},{g},{b})"><script>
const ctx = new AudioContext(), osc = ctx.createOscillator(), gain = ctx.createGain();
osc.frequency.value = {freq}; gain.gain.value = 0.9;
osc.connect(gain).connect(ctx.destination); osc.start();
</script></body>"""


class ChromeDriver(AppDriver):
    role = roles.CHROME
    frequency = 1240
    colour = (40, 90, 200)
    stream_binary = "chromium"

    def profile_dir(self, title: str) -> str:
        """The chromium profile (user data dir) a launch titled ``title`` uses."""
        return f"/home/{self.user}/.cache/seatcheck-chromium-{title}"

    def _chromium(self, title: str, page: str, *extra: str, profile: str = "") -> tuple[str, ...]:
        return (
            "chromium",
            f"--user-data-dir={profile or self.profile_dir(title)}",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--password-store=basic",
            "--window-size=480,360",
            *extra,
            f"--app=data:text/html,{quote(page)}",
        )

    def fetch_page(self, url: str, timeout: float = 60.0) -> execs.ExecResult:
        """chromium itself loads ``url`` (headless, with its own resolver and network stack,
        and the proxy settings of its environment, as a user's chromium honours them) and
        prints the page's DOM: what the browser reaches, not what a tool would."""
        return execs.run(
            self.container,
            [
                "chromium", "--headless", "--disable-gpu",
                # a profile of its own: loads side by side must not share one
                f"--user-data-dir={self.profile_dir(unique_title('fetch'))}", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--timeout=20000", "--dump-dom", url,
            ],
            user=self.user, timeout=timeout,
        )  # fmt: skip

    def open_window(self) -> Launch:
        title = unique_title(self.role)
        page = f"<title>{title}</title><body style='background:#fff'>"
        return self.start(title, self._chromium(title, page))

    def present(
        self, colour: tuple[int, int, int] | None = None, profile: str = ""
    ) -> Presentation:
        """The colour page with its tone; ``profile``: on an existing chromium profile (a
        snapshot's), else a new one."""
        colour = colour or self.colour
        title = unique_title(self.role)
        r, g, b = colour
        page = PAGE.format(title=title, r=r, g=g, b=b, freq=self.frequency)
        command = self._chromium(
            title, page,
            "--ignore-gpu-blocklist",
            "--autoplay-policy=no-user-gesture-required",
            f"--remote-debugging-port={DEBUG_PORT}",
            profile=profile,
        )  # fmt: skip
        launch = self.start(title, command)
        return Presentation(self.role, title, colour, self.frequency, self.stream_binary, (launch,))
