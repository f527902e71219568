"""The task-management API that loadgate loads: the system under test.

``create_app()`` (in ``target_app.main``) builds it from one ``Settings`` object; ``loadgate serve``
runs it under uvicorn. It reaches a store (MongoDB, or embedded SQLite) and a cache (Redis, or an
in-process cache) through small interfaces, so it runs with zero set-up and against real servers.
"""
