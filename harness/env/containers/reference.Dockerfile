# The reference stack (issuer, and later the resource server): tokenproof's own sources on a
# Node base. Built by `tokenproof setup --containers` (harness/env/containers/images.ts) from a
# prepared context holding package.json, the production node_modules, harness/ and suites/.
# BASE_IMAGE has no default on purpose: with no registry it is the locally imported
# tokenproof/node-base:<node version>; with one, any image with Node >= 24.11 on PATH works
# (e.g. node:24-bookworm-slim).
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production
# Dependencies first: they change less often than the sources, so the layer is reused.
COPY package.json ./
COPY node_modules ./node_modules
COPY harness ./harness
COPY suites ./suites
USER 10001:10001
EXPOSE 9400
ENTRYPOINT ["node", "harness/cli/main.ts"]
CMD ["--help"]
