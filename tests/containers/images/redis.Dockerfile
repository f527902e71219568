# The test stack's Redis: Debian's redis-server on a local Debian base (scripts/setup-docker.sh),
# standing in for redis:7.4 where no registry is reachable. Same command line as the compose file's.
ARG BASE
FROM ${BASE}
USER 999:999
CMD ["redis-server", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
