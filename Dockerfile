# Baton: one image for the five stages, the console and the notifier; the service is chosen by the command:
#   docker run registry/baton:0.1.0 planner        (ENTRYPOINT … serve, CMD = the stage)
# Multi-stage: build with dev dependencies, ship only production dependencies and dist/.

# ---- build ---------------------------------------------------------------------------------
FROM node:20.19-bookworm-slim AS build
WORKDIR /src
# corepack cannot verify pnpm against some registries: install the pinned pnpm through npm.
RUN npm install --global pnpm@10.34.9 && pnpm --version
# Manifests first, so the dependency layer is cached until a lockfile or package.json changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json .npmrc ./
COPY packages/contracts/package.json packages/contracts/
COPY packages/runtime/package.json packages/runtime/
COPY packages/kube-sim/package.json packages/kube-sim/
COPY packages/cli/package.json packages/cli/
COPY services/planner/package.json services/planner/
COPY services/pod-manager/package.json services/pod-manager/
COPY services/validator/package.json services/validator/
COPY services/traffic-switcher/package.json services/traffic-switcher/
COPY services/reaper/package.json services/reaper/
COPY services/console/package.json services/console/
COPY services/notifier/package.json services/notifier/
COPY packages/console-web/package.json packages/console-web/
RUN pnpm install --frozen-lockfile
COPY tsconfig.base.json tsconfig.json ./
COPY packages packages
COPY services services
# tsc -b of every package: dist/ holds what the exports maps' "default" condition names; the
# console's front end is built by Vite into packages/console-web/dist (served by the console).
RUN pnpm build
# Only @baton/cli and its production dependency tree (the services, runtime, contracts and
# their drivers), with dist/ and package.json of each: no devDependencies, no sources' tests.
RUN pnpm --filter @baton/cli deploy --prod --legacy /out/baton

# ---- runtime -------------------------------------------------------------------------------
FROM node:20.19-bookworm-slim AS runtime
ENV NODE_ENV=production \
    BATON_HTTP_PORT=8080
# A fixed non-root user (uid/gid 10001) so runAsNonRoot can be checked by the kubelet.
RUN groupadd --system --gid 10001 baton \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin baton
WORKDIR /app
COPY --from=build --chown=root:root /out/baton /app/packages/cli
# Read-only root filesystem friendly: the process writes nothing but /tmp (an emptyDir in the
# Deployments); the code is owned by root and not writable by the baton user.
USER 10001:10001
EXPOSE 8080 8081
WORKDIR /app
ENTRYPOINT ["node", "packages/cli/dist/main.js", "serve"]
CMD ["planner"]
