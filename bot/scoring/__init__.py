"""bot/scoring."""
