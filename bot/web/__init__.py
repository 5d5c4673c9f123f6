"""Web app: the call-ended API, the customer chat page and its proxy to Rasa."""
