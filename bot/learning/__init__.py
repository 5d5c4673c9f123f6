"""What the classifier learns from people: labels with provenance read from the database, hooked into its CLI."""
