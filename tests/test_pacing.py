"""Pacing: timeouts in the loop's serviced time, and a sweep rate that backs off (AIMD) under ``--rate``."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

from camaudit.collect.pacing import AdaptiveRate, within


def test_a_read_is_not_timed_out_for_the_time_the_loop_was_stalled() -> None:
    # the peer answers from a thread of its own, once this loop's stall is over: later than the read's timeout
    # in wall time, but a moment after the loop could service the socket again
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stall_over = threading.Event()

    def answer() -> None:
        conn, _ = listener.accept()
        with conn:
            stall_over.wait(30)
            conn.sendall(b"hello\r\n")
            conn.recv(1)  # until the client closes

    peer = threading.Thread(target=answer, daemon=True)
    peer.start()

    async def main() -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        # the loop is starved (a blocking callback, as other hosts' work or a CPU-starved process) for far
        # longer than the read's timeout; the answer arrives meanwhile
        def stall() -> None:
            time.sleep(1.0)
            stall_over.set()

        asyncio.get_running_loop().call_soon(stall)
        try:
            return await within(reader.readline(), 0.5)
        finally:
            writer.close()

    try:
        assert asyncio.run(main()) == b"hello\r\n"
    finally:
        peer.join(5)
        listener.close()


def test_a_peer_that_never_answers_still_times_out() -> None:
    async def main() -> str:
        reader = asyncio.StreamReader()  # nothing ever feeds it
        try:
            await within(reader.read(1), 0.05)
        except TimeoutError:
            return "timed out"
        return "answered"

    assert asyncio.run(main()) == "timed out"


def test_rate_grows_to_the_ceiling_and_never_past_it() -> None:
    rate = AdaptiveRate(1000, start=100)
    now = time.monotonic()
    for step in range(200):
        rate.allow(10_000, lag=0.0, now=now + step * 0.25, busy=0.5)
    assert rate.rate == 1000
    # never more connects than the rate allows, whatever is asked (at most 50 ms worth at once)
    assert rate.allow(10_000, lag=0.0, now=now + 200 * 0.25 + 10, busy=0.5) <= 1000 * 0.05


def test_rate_is_cut_once_per_episode_of_its_own_overload_and_by_resource_shortage() -> None:
    rate = AdaptiveRate(1000, start=1000)
    now = time.monotonic() + 1
    rate.allow(10, lag=1.0, now=now, busy=0.2)  # late, but others had the CPU: slowing down gives nothing back
    assert rate.rate == 1000
    rate.allow(10, lag=1.0, now=now, busy=1.0)  # late and busy all along: our own overload
    assert rate.rate == 600
    rate.allow(10, lag=1.0, now=now + 0.1, busy=1.0)  # the same episode: no second cut
    assert rate.rate == 600
    rate.congestion("scanner short of resources", now + 1)
    assert rate.rate == 360
    assert rate.cuts == {"loop lag": 1, "scanner short of resources": 1}
    for _ in range(100):
        rate.congestion("lost connects", now := now + 1)
    assert rate.rate == rate.floor
