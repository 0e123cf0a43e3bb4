#!/usr/bin/env python3
"""A latency-injecting TCP proxy on 127.0.0.1, for bench/transports.py.

    with Proxy(upstream_port, one_way=0.020, limit=3600) as proxy:
        ... connect to 127.0.0.1:proxy.port ...

Every chunk read from one side is handed to the other `one_way` seconds
after it was read, in both directions, so a round trip costs 2 x one_way.
Each direction has its own queue of (due time, chunk): reading goes on
while earlier chunks wait, so chunks keep their order and the delay does
not throttle throughput (a chunk is delayed by its timestamp, not by the
sum of the sleeps before it). A new connection's first bytes, either way,
also wait one round trip more, as TCP's handshake would cost a client a
real distance away. The proxy counts connections and bytes each way; it
runs its own asyncio loop in a thread, and stops when the `with` ends or
after `limit` seconds, whichever is first. Only 127.0.0.1 is ever used.

Run alone (for trying a client by hand), until Ctrl-C or --limit:
    bench/latency.py UPSTREAM_PORT [--delay-ms 20] [--limit 600]
"""

import argparse
import asyncio
import socket
import threading
import time

CHUNK = 65536


class Proxy:
    def __init__(self, upstream_port, one_way, limit=3600):
        self.upstream_port, self.one_way, self.limit = upstream_port, one_way, limit
        self.connections = self.open = self.bytes_up = self.bytes_down = 0
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=f"latency-proxy-{self.port}", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stopped.set)
            self._thread.join(timeout=10)

    def counters(self):
        """(connections accepted, bytes client to server, bytes server to client) so far."""
        return self.connections, self.bytes_up, self.bytes_down

    def wait_idle(self, timeout=5.0):
        """Waits (bounded) until every connection has closed, so the counters
        hold all of a run's bytes."""
        deadline = time.monotonic() + timeout
        while self.open and time.monotonic() < deadline:
            time.sleep(0.005)
        return self.open == 0

    def _run(self):
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())
        self._loop.close()

    async def _serve(self):
        self._stopped = asyncio.Event()
        server = await asyncio.start_server(self._connection, sock=self._listener)
        try:
            await asyncio.wait_for(self._stopped.wait(), self.limit)
        except asyncio.TimeoutError:
            pass
        server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _connection(self, client_reader, client_writer):
        self.connections += 1
        self.open += 1
        loop = asyncio.get_running_loop()
        # Nothing arrives before the handshake's round trip would be over.
        not_before = loop.time() + 2 * self.one_way
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            client_writer.close()
            self.open -= 1
            return
        # Chunks go on as soon as they are due, as a router forwards them:
        # no Nagle on the proxy's own sockets. (asyncio sets TCP_NODELAY
        # only on sockets it made with proto IPPROTO_TCP, and the listener's
        # are proto 0: without this, a chunk that followed another within a
        # round trip waited for the client's delayed ACK, 40 ms, which no
        # network adds.)
        for writer in (client_writer, server_writer):
            writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pumps = [asyncio.ensure_future(self._pump(client_reader, server_writer, not_before, "bytes_up")),
                 asyncio.ensure_future(self._pump(server_reader, client_writer, not_before, "bytes_down"))]
        try:
            # Until both directions have ended, or one of them failed.
            await asyncio.wait(pumps, return_when=asyncio.FIRST_EXCEPTION)
        finally:
            for p in pumps:
                p.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            for w in (client_writer, server_writer):
                w.close()
            self.open -= 1

    async def _pump(self, reader, writer, not_before, counter):
        loop = asyncio.get_running_loop()
        queue = asyncio.Queue()

        async def deliver():
            while True:
                due, chunk = await queue.get()
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not chunk:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(chunk)
                await writer.drain()

        sender = asyncio.ensure_future(deliver())
        try:
            while True:
                chunk = await reader.read(CHUNK)
                setattr(self, counter, getattr(self, counter) + len(chunk))
                queue.put_nowait((max(loop.time(), not_before) + self.one_way, chunk))
                if not chunk or sender.done():
                    break
            await sender
        finally:
            sender.cancel()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("upstream_port", type=int)
    ap.add_argument("--delay-ms", type=float, default=20.0, help="one-way delay (default 20: a 40 ms round trip)")
    ap.add_argument("--limit", type=float, default=600.0, help="seconds before it stops by itself")
    args = ap.parse_args()
    with Proxy(args.upstream_port, args.delay_ms / 1000, args.limit) as proxy:
        print(f"127.0.0.1:{proxy.port} -> 127.0.0.1:{args.upstream_port}, +{args.delay_ms:g} ms each way", flush=True)
        try:
            proxy._thread.join(args.limit + 1)
        except KeyboardInterrupt:
            pass
        print("connections %d, bytes up %d, down %d" % proxy.counters())


if __name__ == "__main__":
    main()
