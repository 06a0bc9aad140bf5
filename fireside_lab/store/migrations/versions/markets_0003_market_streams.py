"""markets 3: `market_streams`, the state of each market's live trade stream (`fireside_lab.markets.live`).

One row per market: its status (connecting, live, reconnecting, stale, stopped), the watcher that owns it (host:pid),
when it started, last connected and last stored a batch, the newest streamed trade's time (epoch ms), reconnects,
trades stored, the last error and the watcher's last word (`updated_at`). Declared in
`fireside_lab/markets/tables.py`.
Revision of the state schema (Alembic). Never edit a released revision: add the next one.
"""
import sqlalchemy as sa
from alembic import op

revision = "markets_0003"
down_revision = "markets_0002"
branch_labels = None
depends_on = None


def upgrade():
    when = lambda name, **kw: sa.Column(name, sa.DateTime(timezone=True), **kw)
    op.create_table("market_streams",
                    sa.Column("exchange", sa.Text), sa.Column("symbol", sa.Text),
                    sa.Column("status", sa.Text, nullable=False), sa.Column("owner", sa.Text),
                    when("started_at"), when("connected_at"), when("last_message_at"),
                    sa.Column("last_trade_ms", sa.BigInteger),
                    sa.Column("reconnects", sa.Integer, nullable=False, server_default="0"),
                    sa.Column("trades", sa.BigInteger, nullable=False, server_default="0"),
                    sa.Column("error", sa.Text), when("updated_at", nullable=False),
                    sa.PrimaryKeyConstraint("exchange", "symbol", name="pk_market_streams"),
                    sa.CheckConstraint("status IN ('connecting', 'live', 'reconnecting', 'stale', 'stopped')",
                                       name=op.f("ck_market_streams_status")))


def downgrade():
    op.drop_table("market_streams")
