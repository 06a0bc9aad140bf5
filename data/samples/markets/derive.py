"""Re-create the derived samples in this folder from the real Binance trades (run from the repository root).

Every derived file is built from `XRP_OLD-trades.json.gz` / `XRP_ETH-trades.parquet` / `ETH_BTC-5m.feather`
(real Binance XRP/ETH trades of 2019-10-11..13 and real ETH/BTC 5m candles), only re-laid-out:
- `XRP_ETH-trades.feather`       freqtrade trades, feather (same rows as the parquet file)
- `XRP_ETH-trades.json`          freqtrade trades, plain json, the first 2,000 trades
- `XRPETH-aggTrades-2019-10-11.csv`  Binance public-data aggTrades CSV (no header, ms), 2019-10-11 UTC, from the aggTrade `info` dicts
- `XRPETH-aggTrades-2019-10-12.csv`  the same layout for 2019-10-12 with a header row and µs timestamps, as Binance writes since 2025
- `XRPETH-trades-2019-10-11.csv` Binance public-data trades CSV: the aggTrades of 2019-10-11 that hold exactly one trade
                                 (first id == last id), so each row is a real single trade with its real trade id
- `XRPETH-1m-2019-10-11.zip`     Binance public-data 1m klines CSV (zipped like Binance ships it), 2019-10-11, built with pandas from the trades
- `ETH_BTC-5m.json`              freqtrade candles json, the first 500 rows of `ETH_BTC-5m.feather`
"""
import gzip, json, zipfile, io
from pathlib import Path
import pandas as pd

D = Path(__file__).resolve().parent
raw = json.load(gzip.open(D / "XRP_OLD-trades.json.gz"))
info = pd.DataFrame([t["info"] for t in raw])
pq = pd.read_parquet(D / "XRP_ETH-trades.parquet")
pq.reset_index(drop=True).to_feather(D / "XRP_ETH-trades.feather")
json.dump(pq.head(2000).values.tolist(), open(D / "XRP_ETH-trades.json", "w"))

info["day"] = pd.to_datetime(info["T"], unit="ms", utc=True).dt.strftime("%Y-%m-%d")
agg = lambda d: pd.DataFrame({"agg_trade_id": d["a"], "price": d["p"], "quantity": d["q"], "first_trade_id": d["f"],
                              "last_trade_id": d["l"], "transact_time": d["T"], "is_buyer_maker": d["m"].map({True: "True", False: "False"}),
                              "is_best_match": d["M"].map({True: "True", False: "False"})})
d11, d12 = info[info.day == "2019-10-11"], info[info.day == "2019-10-12"]
agg(d11).to_csv(D / "XRPETH-aggTrades-2019-10-11.csv", header=False, index=False)
a12 = agg(d12); a12["transact_time"] = a12["transact_time"] * 1000
a12.to_csv(D / "XRPETH-aggTrades-2019-10-12.csv", header=True, index=False)
one = d11[d11.f == d11.l]
pd.DataFrame({"id": one["f"], "price": one["p"], "qty": one["q"],
              "quote_qty": [f"{float(p) * float(q):.8f}" for p, q in zip(one.p, one.q)], "time": one["T"],
              "is_buyer_maker": one["m"].map({True: "True", False: "False"}), "is_best_match": one["M"].map({True: "True", False: "False"})}
             ).to_csv(D / "XRPETH-trades-2019-10-11.csv", header=False, index=False)

t = d11.assign(price=d11.p.astype(float), qty=d11.q.astype(float), date=pd.to_datetime(d11["T"], unit="ms", utc=True)).set_index("date")
k = t["price"].resample("60s").ohlc()
k["volume"] = t["qty"].resample("60s").sum(); k["quote_volume"] = (t.price * t.qty).resample("60s").sum()
k["count"] = t["price"].resample("60s").count()
k["taker_buy_volume"] = t.qty.where(~t.m, 0.0).resample("60s").sum()
k["taker_buy_quote_volume"] = (t.price * t.qty).where(~t.m, 0.0).resample("60s").sum()
k = k.dropna()
ot = (k.index.astype("int64") // 10**6)
if k.index.dtype.unit != "ns": ot = k.index.map(lambda x: int(x.timestamp() * 1000))
kl = pd.DataFrame({"open_time": ot, "open": k.open, "high": k.high, "low": k.low, "close": k.close, "volume": k.volume,
                   "close_time": [o + 59_999 for o in ot], "quote_volume": k.quote_volume, "count": k["count"],
                   "taker_buy_volume": k.taker_buy_volume, "taker_buy_quote_volume": k.taker_buy_quote_volume, "ignore": 0})
buf = io.StringIO(); kl.to_csv(buf, header=False, index=False, float_format="%.8f")
with zipfile.ZipFile(D / "XRPETH-1m-2019-10-11.zip", "w", zipfile.ZIP_DEFLATED) as z: z.writestr("XRPETH-1m-2019-10-11.csv", buf.getvalue())

c = pd.read_feather(D / "ETH_BTC-5m.feather").head(500)
json.dump([[int(r.date.timestamp() * 1000), r.open, r.high, r.low, r.close, r.volume] for r in c.itertuples()], open(D / "ETH_BTC-5m.json", "w"))
