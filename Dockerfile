# Dynamiq: one image, every role (`start --role api` or `start --role worker`).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
# bubblewrap and the official CLIs serve the local sandbox provider of the worker role.
RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap ca-certificates curl git gh awscli \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 DYNAMIQ_DATA_DIR=/var/lib/dynamiq
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/prisma ./prisma
RUN mkdir -p /var/lib/dynamiq
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s CMD curl -fsS http://127.0.0.1:3000/healthz || exit 1
ENTRYPOINT ["node", "dist/bin/dynamiq.js"]
CMD ["start"]
