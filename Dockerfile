# The API under test: `loadgate serve`, with the api extra's dependencies only. Build:
#   docker build -t loadgate-api:0.1.0 .                  (from python:3.11 slim, PyPI reached directly)
#   scripts/build-images.sh                               (loadgate's own machines, see docs/containers.md)
# Behind an intercepting proxy, pass its CA bundle as the build secret `ca`: it is mounted for the pip
# steps only and is in no layer:  docker build --secret id=ca,src=/etc/ssl/certs/ca-certificates.crt .
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

# Build stage: a virtualenv with the api extra, then loadgate itself without dependencies (wheels only).
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ONLY_BINARY=:all: PIP_ROOT_USER_ACTION=ignore
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies first: this layer changes only when pyproject.toml does.
COPY pyproject.toml scripts/extra-requirements.py ./
RUN --mount=type=secret,id=ca \
    if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi \
 && python3 extra-requirements.py api --pyproject pyproject.toml > requirements.txt \
 && pip install -r requirements.txt
COPY README.md ./
COPY loadgate ./loadgate
COPY target_app ./target_app
COPY loadtests ./loadtests
COPY reports ./reports
# Package data of loadgate (the wheel declares them; the API never reads them: a few KB).
COPY scenarios ./scenarios
COPY notebooks ./notebooks
COPY config/nginx ./config/nginx
RUN --mount=type=secret,id=ca \
    if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi \
 && pip install --no-deps . \
 && pip uninstall -y pip setuptools

# Final stage: the virtualenv on a clean base, no compilers, no pip, not root.
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
