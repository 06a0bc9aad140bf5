"""A local HTTP server that answers like Binance's public spot REST API, replaying recorded aggregate trades.

The trades are the raw Binance `aggTrades` payloads (`info` dicts: a, p, q, f, l, T, m, M) recorded by ccxt in
`data/samples/markets/XRP_OLD-trades.json.gz`. Endpoints, with Binance's parameter semantics:

- `GET /api/v3/exchangeInfo` — one spot symbol (XRPETH), enough for ccxt's `load_markets`;
- `GET /api/v3/aggTrades?symbol&fromId&startTime&endTime&limit` — ascending by id from `fromId` / within
  [startTime, endTime] (at most one hour apart), else the most recent; `limit` default 500, max 1000;
- `GET /api/v3/klines?symbol&interval&startTime&endTime&limit` — klines computed from the same trades with pandas.

`fail` lets a test make requests fail with HTTP 503 (ccxt raises `ExchangeNotAvailable`, a `NetworkError`).
"""
from __future__ import annotations

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pandas as pd

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "samples" / "markets" / "XRP_OLD-trades.json.gz"
INTERVALS = {"1m": 60_000, "5m": 300_000, "15m": 900_000, "1h": 3_600_000, "4h": 14_400_000, "1d": 86_400_000}

SYMBOL_INFO = {  # the shape of Binance's exchangeInfo entry for XRPETH (filters as Binance published them for this pair)
    "symbol": "XRPETH", "status": "TRADING", "baseAsset": "XRP", "baseAssetPrecision": 8, "quoteAsset": "ETH",
    "quotePrecision": 8, "quoteAssetPrecision": 8, "baseCommissionPrecision": 8, "quoteCommissionPrecision": 8,
    "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
    "icebergAllowed": True, "ocoAllowed": True, "quoteOrderQtyMarketAllowed": True, "allowTrailingStop": True,
    "cancelReplaceAllowed": True, "isSpotTradingAllowed": True, "isMarginTradingAllowed": False,
    "filters": [{"filterType": "PRICE_FILTER", "minPrice": "0.00000001", "maxPrice": "1000.00000000", "tickSize": "0.00000001"},
                {"filterType": "LOT_SIZE", "minQty": "1.00000000", "maxQty": "90000000.00000000", "stepSize": "1.00000000"},
                {"filterType": "NOTIONAL", "minNotional": "0.01000000", "applyMinToMarket": True,
                 "maxNotional": "9000000.00000000", "applyMaxToMarket": False, "avgPriceMins": 5}],
    "permissions": [], "permissionSets": [["SPOT"]], "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
    "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
}
# listed, no trades replayed
ETHBTC_INFO = {**SYMBOL_INFO, "symbol": "ETHBTC", "baseAsset": "ETH", "quoteAsset": "BTC"}


def load_agg_trades(path: Path = SAMPLE) -> list[dict]:
    """The raw Binance aggTrade payloads, ascending by id."""
    return sorted((t["info"] for t in json.load(gzip.open(path))), key=lambda x: x["a"])


class BinanceReplay:
    """Run with `with BinanceReplay() as srv:`; `srv.base` is `http://127.0.0.1:PORT`, `srv.requests` the paths asked."""

    def __init__(self, trades: list[dict] | None = None):
        self.trades = trades if trades is not None else load_agg_trades()
        self.requests: list[str] = []
        self.fail = lambda path, n: False   # (endpoint path, 1-based count of requests to it) -> answer 503?
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        df = pd.DataFrame(self.trades)
        self._df = df.assign(price=df.p.astype(float), qty=df.q.astype(float), date=pd.to_datetime(df["T"], unit="ms", utc=True))

    def visible(self) -> list[dict]:
        "The trades that have happened so far (all of them here; a stream replay reveals them over time)."
        return self.trades

    # --- Binance semantics -------------------------------------------------------------------------------------
    def agg_trades(self, q: dict) -> tuple[int, object]:
        limit = min(int(q.get("limit", 500)), 1000)
        rows = self.visible()
        if "fromId" in q:
            rows = [t for t in rows if t["a"] >= int(q["fromId"])]
        if "startTime" in q or "endTime" in q:
            start, end = int(q.get("startTime", 0)), int(q.get("endTime", 2**62))
            if "startTime" in q and "endTime" in q and end - start > 3_600_000:
                return 400, {"code": -1127, "msg": "More than 1 hours between startTime and endTime."}
            rows = [t for t in rows if start <= t["T"] <= end]
        elif "fromId" not in q:
            return 200, rows[-limit:]
        return 200, rows[:limit]

    def klines(self, q: dict) -> tuple[int, object]:
        if q.get("interval") not in INTERVALS:
            return 400, {"code": -1120, "msg": "Invalid interval."}
        ms, limit = INTERVALS[q["interval"]], min(int(q.get("limit", 500)), 1000)
        d = self._df.set_index("date")
        k = d["price"].resample(f"{ms // 1000}s").ohlc()
        k["volume"] = d["qty"].resample(f"{ms // 1000}s").sum()
        k["quote"] = (d.price * d.qty).resample(f"{ms // 1000}s").sum()
        k["count"] = d["price"].resample(f"{ms // 1000}s").count()
        k = k.dropna()
        ot = [int(t.timestamp() * 1000) for t in k.index]
        rows = [[o, f"{r.open:.8f}", f"{r.high:.8f}", f"{r.low:.8f}", f"{r.close:.8f}", f"{r.volume:.8f}", o + ms - 1,
                 f"{r.quote:.8f}", int(r.count), "0", "0", "0"] for o, r in zip(ot, k.itertuples())]
        start, end = int(q.get("startTime", 0)), int(q.get("endTime", 2**62))
        rows = [r for r in rows if start <= r[0] <= end]
        return 200, (rows[:limit] if "startTime" in q else rows[-limit:])

    def answer(self, path: str, q: dict) -> tuple[int, object]:
        if path == "/api/v3/exchangeInfo":
            return 200, {"timezone": "UTC", "serverTime": self.trades[-1]["T"], "rateLimits": [], "exchangeFilters": [],
                         "symbols": [SYMBOL_INFO, ETHBTC_INFO]}
        if path in ("/api/v3/aggTrades", "/api/v3/klines"):
            if q.get("symbol") != "XRPETH":
                return 400, {"code": -1121, "msg": "Invalid symbol."}
            return self.agg_trades(q) if path.endswith("aggTrades") else self.klines(q)
        if path == "/api/v3/ping":
            return 200, {}
        return 404, {"code": -1, "msg": f"not replayed: {path}"}

    # --- server ------------------------------------------------------------------------------------------------
    def __enter__(self):
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                u = urlparse(self.path)
                q = {k: v[-1] for k, v in parse_qs(u.query).items()}
                with replay._lock:
                    replay.requests.append(self.path)
                    n = replay._counts[u.path] = replay._counts.get(u.path, 0) + 1
                    failing = replay.fail(u.path, n)
                if failing:   # what a gateway in front of the API answers when it is down: not JSON
                    status, data, ctype = 503, b"<html><body><h1>503 Service Unavailable</h1></body></html>", "text/html"
                else:
                    status, body = replay.answer(u.path, q)
                    data, ctype = json.dumps(body).encode(), "application/json"
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def client(self, **config):
        """A real ccxt binance client (rate limiter on) whose spot public API is this server."""
        import ccxt
        ex = ccxt.binance({"enableRateLimit": True, "options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False},
                           **config})
        ex.urls["api"] = {k: (v.replace("https://api.binance.com", self.base) if isinstance(v, str) else v)
                          for k, v in ex.urls["api"].items()}
        return ex

    def requests_to(self, endpoint: str) -> list[dict]:
        """The query parameters of every request made to `endpoint` (e.g. '/api/v3/aggTrades'), in order."""
        out = []
        for r in self.requests:
            u = urlparse(r)
            if u.path == endpoint:
                out.append({k: v[-1] for k, v in parse_qs(u.query).items()})
        return out
