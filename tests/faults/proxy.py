"""A small TCP proxy between clients and nginx that breaks the network on demand.

`cut_all()` / `cut(n)` reset connections (an abortive close, as a dropped Wi-Fi or a NAT entry
timing out looks to both ends); `stall()` stops forwarding in both directions while every
connection stays open, the half-open link a dead network leaves behind, until `resume()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket

_CHUNK = 65536


class _Link:
    """One client connection and its connection upstream."""

    def __init__(self, client: asyncio.StreamWriter, upstream: asyncio.StreamWriter) -> None:
        self.client = client
        self.upstream = upstream
        self.pumps: list[asyncio.Task[None]] = []

    def abort(self) -> None:
        for writer in (self.client, self.upstream):
            sock = writer.get_extra_info("socket")
            if sock is not None:
                # SO_LINGER 0: close sends an RST, not a FIN (an abrupt loss, not a goodbye).
                with contextlib.suppress(OSError):
                    sock.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                    )
            writer.transport.abort()


class FaultProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._handlers: set[asyncio.Task[None]] = set()
        self.port = 0
        self.accepted = 0
        self.cuts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def open_links(self) -> int:
        return len(self._links)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        self._flowing.set()
        self.cut_all(count=False)
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def cut_all(self, *, count: bool = True) -> int:
        """Reset every open connection; answers how many."""
        return self._cut(list(self._links), count)

    def cut(self, n: int) -> int:
        """Reset `n` open connections chosen at random (fewer if fewer are open)."""
        links = list(self._links)
        return self._cut(random.sample(links, min(n, len(links))), True)

    def stall(self) -> None:
        """Stop forwarding both ways; connections stay open and new ones are accepted."""
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    def _cut(self, links: list[_Link], count: bool) -> int:
        for link in links:
            self._links.discard(link)
            link.abort()
            for pump in link.pumps:
                pump.cancel()
        if count:
            self.cuts += len(links)
        return len(links)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self.accepted += 1
        try:
            try:
                up_reader, up_writer = await asyncio.open_connection(*self._upstream)
            except OSError:
                writer.transport.abort()
                return
            link = _Link(writer, up_writer)
            self._links.add(link)
            link.pumps = [
                asyncio.create_task(self._pump(reader, up_writer)),
                asyncio.create_task(self._pump(up_reader, writer)),
            ]
            # One side closing ends the link: the other side is closed after it.
            _, pending = await asyncio.wait(link.pumps, return_when=asyncio.FIRST_COMPLETED)
            await self._flowing.wait()  # a stalled link passes no close either
            for pump in pending:
                pump.cancel()
            await asyncio.gather(*link.pumps, return_exceptions=True)
            self._links.discard(link)
            for side in (writer, up_writer):
                side.close()
        except asyncio.CancelledError:
            writer.transport.abort()
        finally:
            self._handlers.discard(task)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        flowing = self._flowing
        try:
            while True:
                await flowing.wait()
                data = await reader.read(_CHUNK)
                if not data:
                    return
                await flowing.wait()  # read before the stall, held until resumed
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            return
