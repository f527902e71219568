# The test stack's MongoDB-protocol server: FerretDB with its SQLite backend (tools/ferretdb, built by
# scripts/setup.sh), standing in for mongo:7.0 where no registry is reachable. Data in /data/db.
ARG BASE
FROM ${BASE}
COPY ferretdb-lite /usr/local/bin/ferretdb-lite
# A named volume mounted here starts with this directory's owner, so FerretDB can write it.
RUN install -d -o 999 -g 999 /data/db
USER 999:999
ENV DO_NOT_TRACK=1
ENTRYPOINT ["/usr/local/bin/ferretdb-lite"]
CMD ["--listen-addr", "127.0.0.1:27017", "--sqlite-dir", "/data/db"]
