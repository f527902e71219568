# syntax=docker/dockerfile:1
# The API under test: `loadgate serve`. Build: docker build -t loadgate/api:0.1.0 .
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

# Build stage: install loadgate and its dependencies into a virtualenv (wheels only).
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ONLY_BINARY=:all:
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY loadgate ./loadgate
COPY target_app ./target_app
COPY loadtests ./loadtests
COPY reports ./reports
# Our own package is pure Python; every dependency must come as a wheel (no compiler here).
RUN pip install . && pip uninstall -y pip

# Final stage: the virtualenv on a clean slim image, no compilers, no pip, not root.
FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 loadgate \
 && useradd --system --uid 10001 --gid loadgate --no-create-home --home-dir /tmp --shell /usr/sbin/nologin loadgate \
 && install -d -o loadgate -g loadgate /run/prometheus
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    ENVIRONMENT=production \
    PROMETHEUS_MULTIPROC_DIR=/run/prometheus
USER 10001:10001
EXPOSE 8000
ENTRYPOINT ["loadgate"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "1"]
