"""bot/web/views."""
