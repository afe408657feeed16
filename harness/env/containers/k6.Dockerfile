# k6 from the binary `tokenproof setup` built into .tools/bin (go install, pinned in
# harness/tools/versions.ts). BASE_IMAGE: as for toxiproxy.Dockerfile.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY k6 /usr/local/bin/k6
USER 10001:10001
# k6 keeps its config and cache under $HOME; /tmp is the only writable place in the image.
ENV HOME=/tmp
WORKDIR /tmp
ENTRYPOINT ["/usr/local/bin/k6"]
CMD ["version"]
