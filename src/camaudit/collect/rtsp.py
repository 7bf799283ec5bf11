"""Read-only RTSP probing: OPTIONS, then DESCRIBE without credentials (the 401 realm often names the maker)."""

from __future__ import annotations

from camaudit.collect.limits import Budget, Deadline, DeviceError, close, open_connection, read_message
from camaudit.model import Observation

USER_AGENT = "camaudit/0.1"


async def probe_rtsp(host: str, port: int, budget: Budget, deadline: Deadline) -> list[Observation]:
    reader, writer = await open_connection(host, port, budget, deadline)
    observations: list[Observation] = []
    url = f"rtsp://{host}:{port}/"
    try:
        for cseq, method, extra in ((1, "OPTIONS", ""), (2, "DESCRIBE", "Accept: application/sdp\r\n")):
            writer.write(f"{method} {url} RTSP/1.0\r\nCSeq: {cseq}\r\nUser-Agent: {USER_AGENT}\r\n{extra}\r\n".encode())
            await writer.drain()
            msg = await read_message(reader, budget, deadline, body_until_close=False)
            if not msg.head:
                break
            text = msg.head.decode("latin-1")
            if msg.body:
                text += "\r\n\r\n" + msg.body[:4096].decode("latin-1")
            if not text.startswith("RTSP/"):
                observations.append(Observation(id=f"{host}:{port}:rtsp:{method.lower()}", protocol="other",
                                                response=text[:4096], address=host, port=port, request=method))
                break
            observations.append(Observation(id=f"{host}:{port}:rtsp:{method.lower()}", protocol="rtsp",
                                            response=text, address=host, port=port, request=f"{method} {url}"))
            if msg.truncated or msg.timed_out:
                break
    except (OSError, DeviceError) as exc:
        if not observations:  # what OPTIONS already gave is kept when DESCRIBE fails
            raise DeviceError(f"{host}:{port} {exc}") from exc
    finally:
        await close(writer)
    return observations
