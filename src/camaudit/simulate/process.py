"""Run the emulated fleet in a child process (for the demo, tests and benchmarks) and wait until it listens."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from camaudit.simulate.fleet import FleetError


class FleetProcess:
    def __init__(self, network: str, count: int | None = None, manifest: Path | None = None,
                 hostile: bool = True, names: list[str] | None = None) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="camaudit-fleet-")
        self.manifest_path = manifest or Path(self._tmp.name) / "manifest.json"
        self.args = [sys.executable, "-m", "camaudit", "simulate", "--network", network,
                     "--manifest", str(self.manifest_path), "--quiet"]
        if count is not None:
            self.args += ["--count", str(count)]
        if not hostile:
            self.args.append("--no-hostile")
        for name in names or ():
            self.args += ["--personality", name]
        self.proc: subprocess.Popen[bytes] | None = None
        self.manifest: dict[str, Any] = {}

    def start(self, timeout: float = 60.0) -> FleetProcess:
        if self.manifest_path.exists():
            self.manifest_path.unlink()
        stderr = open(Path(self._tmp.name) / "stderr.log", "wb")  # noqa: SIM115 - lives as long as the child
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=stderr)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.manifest_path.exists():
                self.manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
                return self
            if self.proc.poll() is not None:
                err = (Path(self._tmp.name) / "stderr.log").read_text(errors="replace").strip()
                raise FleetError(f"the emulated fleet did not start: {err.splitlines()[-1] if err else 'no output'}")
            time.sleep(0.05)
        self.stop()
        raise FleetError("the emulated fleet did not start listening in time")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __enter__(self) -> FleetProcess:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
        self._tmp.cleanup()
