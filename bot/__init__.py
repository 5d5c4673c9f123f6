"""Post-call feedback bot: storage, dialogue core, scoring, web UI and API."""
