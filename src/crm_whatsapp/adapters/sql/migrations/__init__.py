"""Alembic migrations for the library's tables, shipped inside the package.

They keep their own version table (``<prefix>alembic_version``) and only ever look at
tables with the library's prefix, so they live beside a host CRM's own Alembic history in
the same database without either seeing the other.
"""
