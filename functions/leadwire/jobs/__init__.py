"""Jobs: re-evaluation, migration, erasure and preview jobs, started by the admin API and run by
the jobs function (``jobs/handler.py``) or, in ``leadwire local``, by the runtime's drain."""
