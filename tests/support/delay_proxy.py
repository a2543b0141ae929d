#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A TCP proxy on 127.0.0.1 that delays every byte by a fixed time in each
direction, for measuring a link with latency where netem does not exist:
with --delay-ms 25 a request and its answer take 50 ms more (one RTT).
Order is kept; bandwidth is not limited; the TCP handshake with the proxy
itself is not delayed (the first bytes are).

    delay_proxy.py --target 127.0.0.1:PORT --delay-ms 25
    prints DELAY_PROXY_URL=http://127.0.0.1:LISTEN_PORT, then serves until
    SIGTERM. Also usable in-process: DelayProxy(target, delay_ms).
"""

import argparse
import asyncio
import collections
import signal
import threading
import time


async def _relay(reader, writer, delay_s):
    """Copies reader to writer, each chunk `delay_s` after it arrived."""
    queue = collections.deque()
    arrived = asyncio.Event()

    async def pump_in():
        try:
            while True:
                data = await reader.read(1 << 16)
                queue.append((time.monotonic() + delay_s, data))
                arrived.set()
                if not data:
                    return
        except (ConnectionError, OSError):
            queue.append((time.monotonic() + delay_s, b""))
            arrived.set()

    async def pump_out():
        try:
            while True:
                while not queue:
                    arrived.clear()
                    await arrived.wait()
                due, data = queue.popleft()
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            return

    await asyncio.gather(pump_in(), pump_out())


class DelayProxy:
    """Runs the proxy on a thread of its own; .url, .stop()."""

    def __init__(self, target, delay_ms, port=0):
        host, _, tport = target.rpartition(":")
        self._target = (host or "127.0.0.1", int(tport))
        self._delay = delay_ms / 1000.0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._port = port
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)
        self.url = f"http://127.0.0.1:{self._port}"

    async def _handle(self, client_r, client_w):
        try:
            server_r, server_w = await asyncio.open_connection(*self._target)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(_relay(client_r, server_w, self._delay),
                             _relay(server_r, client_w, self._delay))
        for w in (client_w, server_w):
            w.close()

    def _run(self):
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self._port))
        self._port = server.sockets[0].getsockname()[1]
        self._server = server
        self._ready.set()
        self._loop.run_forever()
        server.close()
        self._loop.run_until_complete(server.wait_closed())

    async def _shutdown(self):
        tasks = [t for t in asyncio.all_tasks() if t is not
                 asyncio.current_task()]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loop.stop()

    def stop(self):
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        self._thread.join(10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", required=True, help="HOST:PORT")
    ap.add_argument("--delay-ms", type=float, default=25.0,
                    help="one-way delay (the RTT grows by twice this)")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    proxy = DelayProxy(args.target, args.delay_ms, args.port)
    print(f"DELAY_PROXY_URL={proxy.url}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    proxy.stop()


if __name__ == "__main__":
    main()
