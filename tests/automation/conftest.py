import pytest

from tests.notifications.smtp import SmtpServer


@pytest.fixture
def smtp(settings):
    """Mail goes through Django's SMTP backend to a real server on 127.0.0.1; yields its inbox."""
    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.BASE_URL = "https://book.example.com"
        yield server.inbox
