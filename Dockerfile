# The API and the worker share one image; docker-compose.yml picks the entry point.
FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app

COPY package.json package-lock.json ./
# npm install, not npm ci: see the note in .ci/run about the lock file's missing foreign-platform entries.
RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force

COPY activities ./activities
COPY api ./api
COPY db ./db
COPY domain ./domain
COPY runtime ./runtime
COPY workflows ./workflows
COPY scripts/build-workflow-bundle.ts ./scripts/
# The workflow bundle is built into the image, so a worker starts without bundling (npm run build).
RUN node scripts/build-workflow-bundle.ts

USER node
EXPOSE 3000
# Node 24 runs the TypeScript sources directly (type stripping); only the workflow bundle is built.
CMD ["node", "runtime/api.ts"]
