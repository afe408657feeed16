# toxiproxy-server from the binary `tokenproof setup` built into .tools/bin (go install, pinned in
# harness/tools/versions.ts). BASE_IMAGE: with no registry, the locally imported
# tokenproof/tools-base (the C library the binary links against, /etc/passwd, /tmp, CA
# certificates); with one, any glibc image (e.g. debian:bookworm-slim).
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY toxiproxy-server /usr/local/bin/toxiproxy-server
USER 10001:10001
EXPOSE 8474
ENTRYPOINT ["/usr/local/bin/toxiproxy-server"]
# The API listens on every interface of the container: the host publishes it on 127.0.0.1 only.
CMD ["-host", "0.0.0.0", "-port", "8474"]
