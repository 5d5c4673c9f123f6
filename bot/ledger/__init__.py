"""bot/ledger."""
