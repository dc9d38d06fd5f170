"""SQL persistence (SQLAlchemy 2): SQLite by default, PostgreSQL in production.

``Database`` holds the engines and the tables for a URL and a table prefix; it runs the
shipped migrations (``migrate()``). ``SqlUnitOfWork`` and ``SqlConversationQueries``
implement the domain's write and read ports on it::

    database = Database("postgresql+psycopg://crm@db/crm")
    database.migrate()
    deps = Dependencies(unit_of_work=lambda: SqlUnitOfWork(database), ...)
    queries = SqlConversationQueries(database)

The host CRM's clients are found through ``SqlClientLookup`` over its own table
(``CrmClientTable``), via a phone-key index that ``ClientPhoneIndex`` builds and refreshes.
"""

from crm_whatsapp.adapters.sql.client_index import ClientPhoneIndex
from crm_whatsapp.adapters.sql.client_lookup import SqlClientLookup
from crm_whatsapp.adapters.sql.crm_table import CrmClientTable, InvalidCrmTable
from crm_whatsapp.adapters.sql.database import DEFAULT_URL, Database
from crm_whatsapp.adapters.sql.maintenance import prune_parked_statuses, rebuild_search_index
from crm_whatsapp.adapters.sql.progress_bar import ProgressBar
from crm_whatsapp.adapters.sql.queries import SqlConversationQueries
from crm_whatsapp.adapters.sql.rate_slots import SqlRateSlots
from crm_whatsapp.adapters.sql.rebuild_report import RebuildReport, UnparseableNumber
from crm_whatsapp.adapters.sql.repository import SqlConversationRepository
from crm_whatsapp.adapters.sql.schema import DEFAULT_PREFIX, Tables, build_tables
from crm_whatsapp.adapters.sql.unit_of_work import SqlUnitOfWork

__all__ = [
    "DEFAULT_PREFIX",
    "DEFAULT_URL",
    "ClientPhoneIndex",
    "CrmClientTable",
    "Database",
    "InvalidCrmTable",
    "ProgressBar",
    "RebuildReport",
    "SqlClientLookup",
    "SqlConversationQueries",
    "SqlConversationRepository",
    "SqlRateSlots",
    "SqlUnitOfWork",
    "Tables",
    "UnparseableNumber",
    "build_tables",
    "prune_parked_statuses",
    "rebuild_search_index",
]
