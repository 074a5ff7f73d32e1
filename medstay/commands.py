"""Database-backed commands (registered on the app when the CLI starts)."""
