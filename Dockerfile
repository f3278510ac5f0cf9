# Dynamiq: one image, every role (`start --role api` or `start --role worker`). Each role has
# its own health check, `dynamiq health --role api|worker`; docker-compose.yml sets them.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:24-bookworm-slim
# What the worker role's local sandboxes run: bubblewrap (the exec server inside each one runs
# on this image's node), and the official CLIs that Debian ships. Those it does not (gcloud,
# kubectl, stripe, supabase, vercel, glab) come with the E2B template (e2b-template/) for
# SANDBOX_PROVIDER=e2b.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      bubblewrap ca-certificates curl git jq openssh-client gh awscli azure-cli \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 DYNAMIQ_DATA_DIR=/var/lib/dynamiq
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/prisma ./prisma
# The portal as `npm run build` made it (the api role serves it from web/app/dist).
COPY --from=build /app/web/app/dist ./web/app/dist
# The sandbox helpers (credential helpers, integration-exec, mcp-cli), which the local provider
# binds into every sandbox at /opt/dynamiq/bin: the code looks for them in
# <project root>/e2b-template/bin, and the project root here is /app.
COPY --from=build /app/e2b-template/bin ./e2b-template/bin
RUN mkdir -p /var/lib/dynamiq
EXPOSE 3000
ENTRYPOINT ["node", "dist/bin/dynamiq.js"]
CMD ["start"]
