"""SQL persistence (SQLAlchemy 2): SQLite by default, PostgreSQL in production.

``Database`` holds the engines and the tables for a URL and a table prefix; it runs the
shipped migrations (``migrate()``). ``SqlUnitOfWork`` and ``SqlConversationQueries``
implement the domain's write and read ports on it::

    database = Database("postgresql+psycopg://crm@db/crm")
    database.migrate()
    deps = Dependencies(unit_of_work=lambda: SqlUnitOfWork(database), ...)
    queries = SqlConversationQueries(database)
"""

from crm_whatsapp.adapters.sql.database import DEFAULT_URL, Database
from crm_whatsapp.adapters.sql.maintenance import prune_parked_statuses
from crm_whatsapp.adapters.sql.queries import SqlConversationQueries
from crm_whatsapp.adapters.sql.repository import SqlConversationRepository
from crm_whatsapp.adapters.sql.schema import DEFAULT_PREFIX, Tables, build_tables
from crm_whatsapp.adapters.sql.unit_of_work import SqlUnitOfWork

__all__ = [
    "DEFAULT_PREFIX",
    "DEFAULT_URL",
    "Database",
    "SqlConversationQueries",
    "SqlConversationRepository",
    "SqlUnitOfWork",
    "Tables",
    "build_tables",
    "prune_parked_statuses",
]
