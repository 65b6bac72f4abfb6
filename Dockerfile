# syntax=docker/dockerfile:1
# The wa_crm service image. By default it runs `wa-crm serve`; docker-compose.yml runs the same
# image as `wa-crm worker` and `wa-crm db upgrade`. Build context: see .dockerignore.

# --- build: the package and its runtime dependencies (extras postgres, redis; no dev) in a venv
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --upgrade pip \
 && /opt/venv/bin/pip install ".[postgres,redis]"

# --- runtime: the venv only, run by an unprivileged user
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    WA_CRM_HOST=0.0.0.0 \
    WA_CRM_LOG_FORMAT=json \
    WA_CRM_MEDIA_DIR=/data/media
RUN groupadd --system --gid 10001 wa_crm \
 && useradd --system --uid 10001 --gid wa_crm --home-dir /app --shell /usr/sbin/nologin wa_crm \
 && mkdir -p /app /data/media \
 && chown -R wa_crm:wa_crm /app /data
# A new named volume mounted at /data/media starts with this owner, so the user can write to it.
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
USER wa_crm
EXPOSE 8000
# No curl in the slim image: Python's urllib. /healthz answers while the process serves HTTP.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["wa-crm", "serve", "--host", "0.0.0.0", "--port", "8000"]
