"""One router per domain: auth, users, tasks, analytics, health, admin."""
