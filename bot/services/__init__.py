"""Domain operations over the database.

Each function takes an open session from the caller, which owns the
transaction, and writes an audit row for every change it makes.
"""
