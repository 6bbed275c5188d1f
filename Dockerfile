# Privacy Breach Register: one image for web (gunicorn), worker and beat (Celery).
# Configured entirely by environment variables (see .env.example); docker-compose.yml runs it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Runtime libraries: WeasyPrint (PDF reports) with one font family, and libmagic (upload sniffing).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz-subset0 \
        libmagic1 \
        fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# Unprivileged user the processes run as; the source tree stays root-owned and read-only to it.
RUN groupadd --system app \
    && useradd --system --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

WORKDIR /app

COPY pyproject.toml ./
COPY . .
RUN pip install --no-cache-dir . \
    && rm -rf build ./*.egg-info

ENV DJANGO_ENV=production \
    VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles \
    PRIVATE_MEDIA_ROOT=/data/private

# Directories the app writes to. /data/private is a named volume in docker-compose.yml; creating it
# here owned by `app` makes a fresh volume start out writable by that user.
RUN mkdir -p /app/var /app/staticfiles /data/private \
    && chown app:app /app/var /app/staticfiles /data/private

USER app

# Production settings refuse to load without their required variables, so collectstatic gets
# throwaway values on this line only: nothing here reaches the running containers.
RUN SECRET_KEY=collectstatic-build-only-not-a-secret \
    DATABASE_URL=postgres://build:build@localhost:5432/build \
    REDIS_URL=redis://localhost:6379/0 \
    ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput

EXPOSE 8000

# --access-logformat: gunicorn's default names each client's address; the log keeps none (an
# anonymous report must not be traceable to who sent it, docs/reporting-without-fear.md).
# --timeout: a sync worker is silent to gunicorn's arbiter for a whole request, so the timeout
# bounds the longest response. The whole register's CSV streams 100,000 incidents in about 4 s;
# 120 s leaves room for a register ten times larger behind a slow client, and still replaces a
# stuck worker within two minutes (the default, 30 s, cut the export off at 96,070 rows).
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120", "--access-logfile", "-", "--access-logformat", "%(t)s \"%(r)s\" %(s)s %(b)s %(M)sms"]
