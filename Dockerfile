# Rapport's service image: `docker build -t rapport .`, then run it against a MongoDB replica
# set (RAPPORT_MONGODB_URI) as compose.yaml does. Two stages: the build stage installs the
# locked dependencies (hashes checked) into a virtual environment, which the runtime stage
# copies with the code; nothing of the build tools comes along.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m venv /venv
COPY requirements.lock /tmp/requirements.lock
# Every package pinned with its sha256 in the lock: a changed or unknown file fails the build.
RUN /venv/bin/pip install --require-hashes --no-deps -r /tmp/requirements.lock

FROM python:3.11-slim AS runtime
ENV PATH=/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    RAPPORT_ENV=production \
    RAPPORT_HOST=0.0.0.0 \
    RAPPORT_PORT=8000 \
    RAPPORT_DATA_DIR=/data/db \
    RAPPORT_SHUTDOWN_DRAIN_S=5
RUN groupadd --system --gid 10001 rapport \
    && useradd --system --uid 10001 --gid rapport --home-dir /app --shell /usr/sbin/nologin rapport \
    && mkdir -p /data \
    && chown rapport:rapport /data
COPY --from=build /venv /venv
WORKDIR /app
COPY main.py demo_data.py demo_loyalty.py demo_care.py pyproject.toml ./
COPY domain ./domain
COPY repositories ./repositories
COPY resolvers ./resolvers
COPY schema ./schema
COPY migrations ./migrations
COPY server ./server
COPY webclient ./webclient
# The registered documents: the service refuses to start without their manifest.
COPY trusted-documents.json ./
COPY documents ./documents
USER 10001:10001
EXPOSE 8000
# Ready means: the database answers and the migrations are applied (and not shutting down).
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('RAPPORT_PORT', '8000'); sys.exit(urllib.request.urlopen(f'http://127.0.0.1:{port}/readyz', timeout=2).status != 200)"]
STOPSIGNAL SIGTERM
CMD ["python", "main.py", "serve"]
