"""Storage: SQLAlchemy 2 models, engine factory and the audit trail."""
