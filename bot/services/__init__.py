"""Domain operations over the database.

Each function takes an open session from the caller, which owns the
transaction, and writes an audit row for every change it makes.
"""

# Registers the session listener that keeps ``survey_facts`` in step with every ORM write
# (imported here so that any use of the services has it).
from bot.services import facts as _facts  # noqa: E402,F401
