"""``python -m crm_whatsapp.app.cli``, as the ``crm-whatsapp`` script."""

from crm_whatsapp.app.cli.main import main

raise SystemExit(main())
