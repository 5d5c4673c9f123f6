"""One router per resource: integration (calls), chat (page and proxy), health."""
