"""Servers on 127.0.0.1 for the end-to-end tests: SMTP (real, aiosmtpd) and a forge's
REST API (a fake that follows the published API: no real forge can run here)."""

from tests.e2e.forge_server import forge_server
from tests.e2e.smtp_server import certificate, serve, server

__all__ = ["certificate", "forge_server", "serve", "server"]
