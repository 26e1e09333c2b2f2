"""Alembic environment and the revision template, shipped with the package."""
