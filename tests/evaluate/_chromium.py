"""Render an HTML file in headless Chromium and record every request the page makes.

Talks the Chrome DevTools Protocol over ``--remote-debugging-pipe`` (Chromium reads commands
from file descriptor 3 and writes replies to 4, each a JSON text ended by a NUL byte): no port,
no websocket library. The page is opened in a fresh target with ``Network.enable``, so every
request the page starts arrives as a ``Network.requestWillBeSent`` event, whatever its scheme;
then ``Page.captureScreenshot`` takes the picture. As a second belt, the browser runs with a
proxy at an unreachable address and a host resolver that resolves nothing, so even a request
the test failed to see could not leave the machine.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


def chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class Rendered:
    screenshot_png: bytes
    requests: list[str] = field(default_factory=list)   # every URL the page requested
    images_loaded: bool = False                          # every <img> decoded with a size
    n_images: int = 0
    title: str = ""


class _Pipe:
    def __init__(self, to_browser: int, from_browser: int):
        self.write_fd, self.read_fd, self.buffer, self.next_id = to_browser, from_browser, b"", 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30.0) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        while True:
            reply = self.receive(timeout)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def receive(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while b"\0" not in self.buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no reply from chromium")
            chunk = os.read(self.read_fd, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the debugging pipe")
            self.buffer += chunk
        text, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(text)

    def wait_for(self, method: str, timeout: float = 30.0) -> dict:
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self.receive(timeout)
            self.events.append(event)
            if event.get("method") == method:
                return event


def render(html_path: Path, width: int = 1200, height: int = 2400) -> Rendered:
    """Open ``html_path`` in headless Chromium; return its screenshot and requests."""
    binary = chromium_binary()
    if binary is None:
        raise FileNotFoundError("chromium")
    import fcntl

    commands_r, commands_w = os.pipe()
    replies_r, replies_w = os.pipe()
    # the child's ends moved above 10 first, so dup2 onto 3 and 4 never overwrites one of them
    child_r = fcntl.fcntl(commands_r, fcntl.F_DUPFD_CLOEXEC, 10)
    child_w = fcntl.fcntl(replies_w, fcntl.F_DUPFD_CLOEXEC, 10)
    for fd in (commands_r, replies_w):
        os.close(fd)
    commands_r, replies_w = child_r, child_w

    def fds():  # Chromium's debugging pipe is fd 3 (commands in) and fd 4 (replies out);
        os.dup2(commands_r, 3)  # dup2 copies are inheritable, everything else is close-on-exec
        os.dup2(replies_w, 4)

    profile = tempfile.mkdtemp(prefix="synthecg-chromium-")
    args = [binary, "--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
            "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-extensions",
            "--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={profile}", f"--window-size={width},{height}", "about:blank"]
    process = subprocess.Popen(args, preexec_fn=fds, close_fds=False, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(commands_r)
    os.close(replies_w)
    pipe = _Pipe(commands_w, replies_r)
    try:
        target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        pipe.send("Network.enable", session=session)
        pipe.send("Page.enable", session=session)
        pipe.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                  session=session)
        pipe.send("Page.navigate", {"url": Path(html_path).resolve().as_uri()}, session=session)
        pipe.wait_for("Page.loadEventFired", timeout=60)
        check = pipe.send("Runtime.evaluate", {"expression": (
            "JSON.stringify({n: document.images.length, title: document.title, ok: "
            "Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)})"),
            "returnByValue": True}, session=session)
        state = json.loads(check["result"]["value"])
        shot = pipe.send("Page.captureScreenshot", {"format": "png"}, session=session, timeout=60)
        requests = [e["params"]["request"]["url"] for e in pipe.events
                    if e.get("method") == "Network.requestWillBeSent"
                    and e.get("sessionId") == session]
        try:
            pipe.send("Browser.close", timeout=10)
        except (RuntimeError, TimeoutError):
            pass
        return Rendered(base64.b64decode(shot["data"]), requests, bool(state["ok"]),
                        int(state["n"]), state["title"])
    finally:
        os.close(commands_w)
        os.close(replies_r)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(profile, ignore_errors=True)
