"""Tasks of the shared-deployment test: imported by its worker processes (`--import deploy_tasks`) and by the test."""
import os
import socket
import time

from fireside_lab import jobs, markets


@jobs.task(name="deploy.import_trades")
def import_trades(path: str,      # a trades file (freqtrade / Binance public data)
                  exchange: str,  # ccxt exchange id
                  symbol: str):   # ccxt unified symbol
    "Import one trades file into the lake; outputs the rows added and which worker process did it."
    df = markets.import_files([path], exchange=exchange, symbol=symbol)
    return {"added": int(df["new"].sum()), "worker": f"{socket.gethostname()}:{os.getpid()}"}


@jobs.task(name="deploy.where")
def where(seconds: float = 0.5):  # how long to hold the worker, seconds
    "Hold the worker a little and say which process ran this (so two workers share a batch of these)."
    time.sleep(seconds)
    return {"worker": f"{socket.gethostname()}:{os.getpid()}", "data_dir": os.environ.get("FIRESIDE_DATA_DIR")}
