"""Nothing is built at import time: importing every module of the package opens no
database, starts no thread, touches no file and reads no setting. Only an entry point
(``create_app``, a ``crm-whatsapp`` command) builds, from the container."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROBE = """
import importlib, os, pkgutil, sys, threading
import crm_whatsapp
before = set(os.listdir("."))
names = [m.name for m in pkgutil.walk_packages(crm_whatsapp.__path__, "crm_whatsapp.")
         if ".migrations.versions." not in m.name
         and not m.name.endswith((".migrations.env", ".__main__"))]
for name in names:
    importlib.import_module(name)
import gc
from sqlalchemy.engine import Engine
engines = [o for o in gc.get_objects() if isinstance(o, Engine)]
print(len(names), threading.active_count(), len(engines), sorted(set(os.listdir(".")) - before))
"""


def test_importing_every_module_builds_nothing(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CRM_WHATSAPP_")}
    environment["CRM_WHATSAPP_DATABASE_URL"] = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    answer = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    modules, threads, engines, new_files = answer.stdout.strip().split(" ", 3)
    # (``python -m crm_whatsapp.app.cli`` is the one module that runs when imported)
    assert int(modules) >= 100
    assert threads == "1", "a module started a thread at import time"
    assert engines == "0", "a module created a database engine at import time"
    assert new_files == "[]", f"importing wrote files: {new_files}"
