"""The background worker: consumes the API's events (emails, analytics counters, activity log).

``loadgate serve-worker`` (or ``python -m target_app.worker``) runs it against RabbitMQ; with no
``AMQP_URL`` the API runs the same handlers itself on an in-process queue. See docs/queue.md.
"""
