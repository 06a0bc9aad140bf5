"""The markets dashboard in headless Chromium behind sign-in (a viewer): XRP/ETH candles, metrics and freshness on
show; switching market and resolution redraws; no console errors."""
import re
from pathlib import Path

from browser import browser_page, fireside_server, login

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples" / "markets"
PASSWORD = "a long password"


def _wait_text(page, text, timeout_s=60):
    """Wait until `text` is shown (Playwright's text locators see into Panel's shadow DOM)."""
    page.get_by_text(text).first.wait_for(state="attached", timeout=timeout_s * 1000)


def test_markets_dashboard_in_browser(data_dir, tmp_path):
    from fireside_lab import markets, store
    from fireside_lab.identity import add_user
    st = store.Store()
    markets.import_files([SAMPLES / "XRP_ETH-trades.json.gz", SAMPLES / "ETH_BTC-5m.feather"], store=st)
    markets.compute_metrics(timeframes=["5m", "1h"], store=st)
    st.close()
    add_user("vic", "viewer", PASSWORD, display_name="Vic", actor="test")   # viewers may view every market

    with fireside_server() as base, browser_page() as page:
        login(page, base, "vic", PASSWORD, "/markets")
        page.wait_for_load_state("networkidle")
        _wait_text(page, "binance XRP/ETH · 5m")
        for text in ["Latest metrics", "realized vol (ann.)", "Data freshness", "300 candles from",
                     "trades stored: 12,477, last trade 2019-10-13 11:19:28 UTC"]:
            _wait_text(page, text)
        page.locator("canvas").first.wait_for(state="attached", timeout=30000)   # bokeh drew the plots
        assert page.locator("canvas").count() >= 2
        page.screenshot(path=str(tmp_path / "markets.png"), full_page=True)
        assert (tmp_path / "markets.png").stat().st_size > 10000

        selects = page.locator("select")
        selects.nth(1).select_option("1h")
        _wait_text(page, "binance XRP/ETH · 1h")
        _wait_text(page, re.compile(r"\b\d\d candles from 2019-10-11 00:00"))   # every hour since the first trade
        selects.nth(0).select_option(label="binance ETH/BTC")
        _wait_text(page, "binance ETH/BTC · 1h")
        _wait_text(page, "trades stored: 0")
        assert page.console_errors == [], page.console_errors


def test_markets_dashboard_follows_a_live_stream(data_dir, tmp_path, monkeypatch):
    """While the replayed Binance stream runs into the lake, the open dashboard shows new candles appear (its periodic
    callback; no reload, no click) and the stream's state with the last trade's age."""
    import threading
    import time

    from markets_stream_replay import BinanceStreamReplay
    from fireside_lab import markets, store
    from fireside_lab.identity import add_user
    add_user("vic", "viewer", PASSWORD, display_name="Vic", actor="test")
    st = store.Store()
    with BinanceStreamReplay(rate=150) as srv:      # 12,477 trades over ~80 s: 2.5 days of XRP/ETH
        ts = markets.TradeStream("binance", ["XRP/ETH"], store=st, rest_url=srv.base, ws_url=srv.ws_url)
        runner = threading.Thread(target=ts.run_sync, daemon=True)
        runner.start()
        try:
            deadline = time.monotonic() + 60
            while ts.stats["XRP/ETH"]["stored"] == 0 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert ts.stats["XRP/ETH"]["stored"] > 0
            with fireside_server() as base, browser_page() as page:
                login(page, base, "vic", PASSWORD, "/markets")
                page.wait_for_load_state("networkidle")
                _wait_text(page, "binance XRP/ETH · 5m")
                _wait_text(page, re.compile(r"live stream: live · last trade [\d,]+ d old, stored \d+ s ago"))
                header = re.compile(r"(\d+) candles from (\S+ \S+) to (\S+ \S+) UTC")

                def shown():      # (candles, last candle) in the header (text locators see into the shadow DOM)
                    found = page.get_by_text(header)
                    m = header.search(found.first.inner_text()) if found.count() else None
                    return (int(m.group(1)), m.group(3)) if m else None
                deadline = time.monotonic() + 30
                while shown() is None and time.monotonic() < deadline:
                    time.sleep(0.2)
                first = shown()
                assert first is not None
                deadline = time.monotonic() + 60
                while (now := shown()) == first and time.monotonic() < deadline:
                    time.sleep(0.5)
                print(f"\nfirst on show: {first}; later: {now}")
                assert now[0] > first[0] and now[1] > first[1], (first, now)    # a new candle, later in time
                page.screenshot(path=str(tmp_path / "markets-live.png"), full_page=True)
                assert page.console_errors == [], page.console_errors
        finally:
            ts.stop()
            runner.join(30)
    st.close()
