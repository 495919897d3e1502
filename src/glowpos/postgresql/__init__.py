"""Django's PostgreSQL backend, with each connection's cursors kept for its next statements
(ADR 0013): `ENGINE = "glowpos.postgresql"`."""
