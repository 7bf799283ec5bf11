"""The collector side of a push: send host results to a camaudit server, surviving broken connections.

Hosts wait in a queue until the server has acknowledged them; a failed send is retried with a growing pause
(at most ``attempts`` times per flush), and whatever is still queued when the scan ends is sent at the end.
The server stores a host sent twice once, so retrying is always safe.
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass
from typing import Any

from camaudit.model import HostResult, Observation
from camaudit.store import Store
from camaudit.web.push import host_to_json


class PushFailed(RuntimeError):
    """The server could not be reached, or refused what was sent."""


@dataclass
class Sent:
    stored: int = 0
    already: int = 0
    server_scan: int | None = None


def collector_scan_id(where: str, scan: dict[str, Any]) -> str:
    """A stable name for one collector's scan, the same on every retry (no path is sent)."""
    return hashlib.sha256(f"{where}|{scan['id']}|{scan['started_at']}".encode()).hexdigest()[:32]


class Collector:
    def __init__(self, url: str, token: str, collector_scan: str, targets: list[str], attempts: int = 5,
                 pause: float = 0.5, timeout: float = 30.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise PushFailed(f"{url!r} is not an http:// or https:// URL")
        self.url = url.rstrip("/")
        self.token = token
        self.collector_scan = collector_scan
        self.targets = targets
        self.attempts = attempts
        self.pause = pause
        self.timeout = timeout
        self.queue: deque[HostResult] = deque()
        self.sent = Sent()

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            self.url + path, data=json.dumps(body).encode("utf-8"), method="POST",
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer: dict[str, Any] = json.loads(response.read(1024 * 1024))
                return answer
        except urllib.error.HTTPError as exc:
            detail = exc.read(4096).decode("utf-8", "replace")
            if exc.code in (401, 403, 413, 422):  # refused: retrying will not help
                raise PushFailed(f"the server refused the push ({exc.code}): {detail}") from exc
            raise ConnectionError(f"server answered {exc.code}") from exc

    def add(self, result: HostResult) -> None:
        """Queue one host and try to send what is queued; a broken connection leaves it queued."""
        self.queue.append(result)
        self.flush(attempts=1)

    def flush(self, attempts: int | None = None) -> None:
        tries = 0
        while self.queue:
            host = self.queue[0]
            try:
                answer = self._post("/api/v1/push", {"collector_scan": self.collector_scan, "targets": self.targets,
                                                     "host": host_to_json(host)})
            except (OSError, ConnectionError, TimeoutError) as exc:
                tries += 1
                if tries >= (attempts or self.attempts):
                    if attempts is None:
                        raise PushFailed(f"cannot reach {self.url} ({exc}); {len(self.queue)} host(s) not sent: "
                                         "run 'camaudit push' again later (nothing is stored twice)") from exc
                    return
                time.sleep(self.pause * 2 ** (tries - 1))
                continue
            self.queue.popleft()
            self.sent.server_scan = answer.get("scan")
            if answer.get("stored"):
                self.sent.stored += 1
            else:
                self.sent.already += 1

    def finish(self) -> Sent:
        self.flush()
        if self.sent.server_scan is not None:  # a scan in which nothing answered left nothing to finish
            try:
                self._post(f"/api/v1/push/{self.collector_scan}/finish", {})
            except (OSError, ConnectionError) as exc:
                raise PushFailed(f"every host was sent, but {self.url} could not be told the scan is complete "
                                 f"({exc}); run the push again to finish it") from exc
        return self.sent

    def queue_stored(self, store: Store, scan_id: int) -> int:
        """Queue every host of a stored scan with its observations; the number of evidence records left out
        because they name no address (register rows known by serial or MAC: the server takes hosts by address)."""
        observations: dict[str, list[Observation]] = {}
        for obs in store.observations(scan_id):
            observations.setdefault(obs.address or "", []).append(obs)
        unaddressed = len(observations.pop("", []))
        hosts = store.hosts(scan_id)
        for host in hosts:
            self.queue.append(HostResult(host["address"], tuple(host["open_ports"]),
                                         tuple(observations.pop(host["address"], [])), tuple(host["errors"]),
                                         bool(host["truncated"])))
        for address, found in observations.items():  # an import: evidence by address, no host rows
            ports = tuple(sorted({o.port for o in found if o.port}))
            self.queue.append(HostResult(address, ports, tuple(found)))
        return unaddressed

    def send_stored(self, store: Store, scan_id: int) -> Sent:
        """Every host of a stored scan (with its observations), then finish."""
        self.queue_stored(store, scan_id)
        return self.finish()


class LivePush:
    """Sends each host to the server as the scan finishes it, from a thread of its own, so a slow or cut-off
    server never holds up the scan. Hosts the server has not acknowledged stay queued and are retried with a
    growing pause; :meth:`close` sends what is left and finishes the server's scan, or says how many hosts are
    still unsent (they are in the local store: ``camaudit push`` sends them later, nothing twice)."""

    def __init__(self, collector: Collector, max_pause: float = 30.0) -> None:
        self.collector = collector
        self.max_pause = max_pause
        self.inbox: queue.SimpleQueue[HostResult | None] = queue.SimpleQueue()
        self.failure: PushFailed | None = None
        self.thread = threading.Thread(target=self._run, name="camaudit-push", daemon=True)
        self.thread.start()

    def submit(self, result: HostResult) -> None:
        self.inbox.put(result)

    def _run(self) -> None:
        pause = self.collector.pause
        while True:
            try:
                item = self.inbox.get(timeout=pause if self.collector.queue else None)
                if item is None:
                    return
                self.collector.queue.append(item)
            except queue.Empty:
                pass  # nothing new: try the queued hosts again
            before = len(self.collector.queue)
            try:
                self.collector.flush(attempts=1)
            except PushFailed as exc:  # refused (not a broken link): stop sending, say so at the end
                self.failure = exc
                return
            progressed = not self.collector.queue or len(self.collector.queue) < before
            pause = self.collector.pause if progressed else min(self.max_pause, pause * 2)

    def close(self) -> Sent:
        """Wait for the sender, send what is still queued (with the collector's own retries), finish."""
        self.inbox.put(None)
        self.thread.join()
        if self.failure is not None:
            raise self.failure
        while True:
            try:
                item = self.inbox.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                self.collector.queue.append(item)
        return self.collector.finish()
