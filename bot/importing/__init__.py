"""bot/importing."""
