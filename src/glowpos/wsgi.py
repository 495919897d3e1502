"""WSGI entry point for gunicorn."""
import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glowpos.settings")
application = get_wsgi_application()

# The application's own objects — Django, the URL patterns, the API's schemas, some 100,000 of
# them — live as long as the process: moved out of the cyclic garbage collector's reach, so its
# full collections walk only what requests leave behind (ADR 0014). Under `gunicorn --preload`
# this runs in the master before the fork, so the workers also share these pages.
gc.collect()
gc.freeze()
