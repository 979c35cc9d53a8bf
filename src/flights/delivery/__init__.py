"""Delivery to end users: the input field table, batch scoring, the fast path, the service, the report."""
