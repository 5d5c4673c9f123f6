"""bot/staff."""
