"""Watching the model at work: drift checks, readiness of each component, the readings in
words that the admin and `check_drift` show, and the gauges /metrics reads from the
database."""
