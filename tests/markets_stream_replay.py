"""A local Binance market-data stream: replays recorded aggregate trades over a websocket, as Binance's spot stream
does, with the REST API of `markets_replay.BinanceReplay` on the side.

The trades are the raw Binance `aggTrades` payloads of `data/samples/markets/XRP_OLD-trades.json.gz` (the 12,477
XRP/ETH trades of `XRP_ETH-trades.json.gz`), sent as Binance's `<symbol>@aggTrade` stream messages:

    {"e": "aggTrade", "E": event ms, "s": "XRPETH", "a": id, "p": "price", "q": "qty", "f": first trade id,
     "l": last trade id, "T": trade ms, "m": buyer is maker, "M": true}

The replay has a clock: from the first subscription (or `start()`), trade k "happens" at k / `rate` seconds. A
connection receives the trades that happen while it is subscribed, as a real stream does — after a disconnect the
trades of the downtime reach nobody by websocket, only through REST (`/api/v3/aggTrades` answers with the trades that
have happened). `drop_at` lists trade counts at which the server drops every connection (the TCP connection is cut,
no close frame), each once. Protocol: `{"method": "SUBSCRIBE", "params": ["xrpeth@aggTrade"], "id": N}` is answered
`{"result": null, "id": N}`; an unknown stream gets Binance's error; a stream in `dead_streams` is acknowledged and its
connection cut at once, every time (an exchange whose stream for that market stays down). The REST side knows
XRPETH and ETHBTC (no ETH/BTC trades are replayed).
"""
from __future__ import annotations

import asyncio
import json
import threading
import time

from markets_replay import BinanceReplay, load_agg_trades


def stream_message(t: dict, event_ms: int) -> str:
    "One aggTrade payload as Binance's stream message."
    return json.dumps({"e": "aggTrade", "E": event_ms, "s": "XRPETH", "a": t["a"], "p": t["p"], "q": t["q"],
                       "f": t["f"], "l": t["l"], "T": t["T"], "m": t["m"], "M": t.get("M", True)})


class BinanceStreamReplay(BinanceReplay):
    """`with BinanceStreamReplay(rate=2000, drop_at=[4000, 8000]) as srv:` — `srv.base` (REST), `srv.ws_url`
    (websocket base, Binance's `.../ws`), `srv.pro_client()` a real ccxt.pro binance client on both."""

    def __init__(self, trades: list[dict] | None = None, rate: float = 1000.0, drop_at=(), dead_streams=()):
        super().__init__(trades if trades is not None else load_agg_trades())
        self.dead_streams = set(dead_streams)     # streams whose connection is cut right after the subscription
        self.rate = float(rate)
        self.drop_at = sorted(drop_at)
        self.t0: float | None = None
        self.subscriptions = 0
        self.drops = 0
        self.sent = 0

    # --- the clock ------------------------------------------------------------------------------------------
    def start(self):
        "Start the clock (the first subscription does too)."
        if self.t0 is None: self.t0 = time.perf_counter()

    def happened(self) -> int:
        "How many trades have happened so far."
        if self.t0 is None: return 0
        return min(len(self.trades), int((time.perf_counter() - self.t0) * self.rate))

    def visible(self) -> list[dict]:
        return self.trades[:self.happened()]

    def finished(self) -> bool:
        return self.happened() == len(self.trades)

    # --- the websocket --------------------------------------------------------------------------------------
    async def _ws(self, request):
        from aiohttp import WSMsgType, web
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        msg = await ws.receive()
        if msg.type != WSMsgType.TEXT:
            return ws
        req = json.loads(msg.data)
        if set(req.get("params") or []) & self.dead_streams:
            await ws.send_str(json.dumps({"result": None, "id": req.get("id")}))
            request.transport.abort()
            return ws
        if req.get("method") != "SUBSCRIBE" or req.get("params") != ["xrpeth@aggTrade"]:
            await ws.send_str(json.dumps({"error": {"code": 2, "msg": f"Invalid request: {req.get('params')}"},
                                          "id": req.get("id")}))
            await ws.close()
            return ws
        await ws.send_str(json.dumps({"result": None, "id": req["id"]}))
        self.subscriptions += 1
        self.start()
        pos = self.happened()
        reader = asyncio.ensure_future(ws.receive())         # pings are answered by aiohttp; a close ends the loop
        try:
            while not reader.done():
                upto = self.happened()
                drop = next((d for d in self.drop_at if pos <= d <= upto), None)
                end = drop if drop is not None else upto
                now_ms = int(time.time() * 1000)
                for i in range(pos, end):           # "E" (event time) as Binance stamps it: when it is sent
                    await ws.send_str(stream_message(self.trades[i], now_ms))
                self.sent += end - pos
                pos = end
                if drop is not None:
                    self.drop_at.remove(drop)
                    self.drops += 1
                    request.transport.abort()              # the connection is cut: no close frame
                    return ws
                await asyncio.sleep(0.002)
        except (ConnectionResetError, RuntimeError):
            pass
        finally:
            reader.cancel()
        return ws

    def __enter__(self):
        super().__enter__()
        from aiohttp import web
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()

        async def serve():
            app = web.Application()
            app.router.add_get("/stream/ws/{rest:.*}", self._ws)
            app.router.add_get("/stream/ws", self._ws)
            self._runner = web.AppRunner(app, handle_signals=False)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            self.ws_url = f"ws://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/stream/ws"
            ready.set()

        self._thread_ws = threading.Thread(target=lambda: (self._loop.run_until_complete(serve()),
                                                           self._loop.run_forever()), daemon=True)
        self._thread_ws.start()
        ready.wait(10)
        return self

    def __exit__(self, *exc):
        async def down():
            await self._runner.cleanup()
        asyncio.run_coroutine_threadsafe(down(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread_ws.join(10)
        super().__exit__(*exc)

    def urls(self) -> dict:
        "{'rest': REST base, 'ws': websocket base} for `markets.TradeStream(urls=…)` / `--rest-url`/`--ws-url`."
        return {"rest": self.base, "ws": self.ws_url}
