# Dynamiq's E2B sandbox template: Debian 12 with the cloud CLIs the agent drives.
# Each CLI is installed the way its vendor documents for Debian/Linux; versions not pinned
# by a vendor apt repository are set by the ARGs below.
FROM node:24-bookworm-slim

ARG SUPABASE_VERSION=3.1.0
ARG VERCEL_VERSION=64.0.2

ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      apt-transport-https ca-certificates curl git gnupg jq lsb-release unzip \
      python3 procps util-linux \
 && install -m 0755 -d /etc/apt/keyrings

# GitHub CLI: https://github.com/cli/cli/blob/trunk/docs/install_linux.md
RUN curl -fsSL https://cli.github.com/packages/githubcli-archive-keyring.gpg \
      -o /etc/apt/keyrings/githubcli-archive-keyring.gpg \
 && chmod go+r /etc/apt/keyrings/githubcli-archive-keyring.gpg \
 && echo "deb [arch=$(dpkg --print-architecture) signed-by=/etc/apt/keyrings/githubcli-archive-keyring.gpg] https://cli.github.com/packages stable main" \
      > /etc/apt/sources.list.d/github-cli.list

# Google Cloud CLI and kubectl: https://cloud.google.com/sdk/docs/install#deb
RUN curl -fsSL https://packages.cloud.google.com/apt/doc/apt-key.gpg \
      | gpg --dearmor -o /usr/share/keyrings/cloud.google.gpg \
 && echo "deb [signed-by=/usr/share/keyrings/cloud.google.gpg] https://packages.cloud.google.com/apt cloud-sdk main" \
      > /etc/apt/sources.list.d/google-cloud-sdk.list

# Azure CLI: https://learn.microsoft.com/cli/azure/install-azure-cli-linux?pivots=apt
RUN curl -fsSL https://packages.microsoft.com/keys/microsoft.asc \
      | gpg --dearmor -o /etc/apt/keyrings/microsoft.gpg \
 && chmod go+r /etc/apt/keyrings/microsoft.gpg \
 && printf 'Types: deb\nURIs: https://packages.microsoft.com/repos/azure-cli/\nSuites: %s\nComponents: main\nArchitectures: %s\nSigned-by: /etc/apt/keyrings/microsoft.gpg\n' \
      "$(lsb_release -cs)" "$(dpkg --print-architecture)" > /etc/apt/sources.list.d/azure-cli.sources

# Stripe CLI: https://docs.stripe.com/stripe-cli/install?install-method=apt
RUN curl -fsSL https://packages.stripe.dev/api/security/keypair/stripe-cli-gpg/public \
      | gpg --dearmor -o /usr/share/keyrings/stripe.gpg \
 && echo "deb [signed-by=/usr/share/keyrings/stripe.gpg] https://packages.stripe.dev/stripe-cli-debian-local stable main" \
      > /etc/apt/sources.list.d/stripe.list

RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      gh google-cloud-cli google-cloud-cli-gke-gcloud-auth-plugin kubectl azure-cli stripe \
 && rm -rf /var/lib/apt/lists/*

# AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html
RUN arch="$(uname -m)" \
 && curl -fsSL "https://awscli.amazonaws.com/awscli-exe-linux-${arch}.zip" -o /tmp/awscliv2.zip \
 && unzip -q /tmp/awscliv2.zip -d /tmp \
 && /tmp/aws/install \
 && rm -rf /tmp/aws /tmp/awscliv2.zip

# Supabase CLI, Linux packages from its releases: https://supabase.com/docs/guides/local-development/cli/getting-started
RUN arch="$(dpkg --print-architecture)" \
 && curl -fsSL "https://github.com/supabase/cli/releases/download/v${SUPABASE_VERSION}/supabase_${SUPABASE_VERSION}_linux_${arch}.deb" \
      -o /tmp/supabase.deb \
 && dpkg -i /tmp/supabase.deb \
 && rm /tmp/supabase.deb

# Vercel CLI: https://vercel.com/docs/cli
RUN npm install -g "vercel@${VERCEL_VERSION}" && npm cache clean --force

# Credential helpers and mcp-cli (see bin/README.md), first on PATH as in the local sandbox.
COPY bin/ /opt/dynamiq/bin/
RUN chmod -R a+rX /opt/dynamiq/bin
ENV PATH=/opt/dynamiq/bin:$PATH

# Commands start in /work in every provider. E2B creates its `user` account after this
# image is built, so the folder is made writable for it here rather than chowned.
RUN mkdir -p /work && chmod 1777 /work
WORKDIR /work
