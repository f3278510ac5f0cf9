#!/usr/bin/env bash
# Certificates for mutual TLS between Dynamiq (api, worker), the Temporal UI and the Temporal
# frontend in docker-compose.yml: a private CA, a server certificate for the frontend and one
# client certificate every Dynamiq process and the UI present. Keys never leave the folder.
#
#   bash scripts/temporal-certs.sh [out-dir] [server-name...]
#
# Defaults: certs/temporal and the server name `temporal` (the compose service). Run it again to
# renew: the CA (its key in certs/temporal-ca.key) is kept when it is there, so renewed
# certificates stay trusted; delete both to start over with a new CA. Certificates last 825 days, the CA 10 years.
set -euo pipefail

out="${1:-certs/temporal}"
shift || true
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(temporal)

# The containers (Temporal, the UI, Dynamiq) run as their own users, so inside the mount the
# files must be readable by anyone; on the host the parent folder (0700) keeps everyone else out:
# a bind mount is resolved by the Docker daemon, the parent's mode never reaches the container.
mkdir -p "$out"
chmod 700 "$(dirname "$out")"
chmod 755 "$out"
cd "$out"
# The CA's key stays beside the mounted folder, never in it: no container needs it.
ca_key="../$(basename "$PWD")-ca.key"

if [ ! -f "$ca_key" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=Dynamiq Temporal CA" -keyout "$ca_key" -out ca.pem \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    2>/dev/null
fi

sans=""
for n in "${names[@]}"; do
  if [[ "$n" =~ ^[0-9.]+$ || "$n" == *:* ]]; then sans+="IP:$n,"; else sans+="DNS:$n,"; fi
done
sans="${sans%,}"

issue() { # name, CN, extendedKeyUsage, extra extensions
  local name=$1 cn=$2 eku=$3 extra=${4:-}
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=$cn" -keyout "$name.key" -out "$name.csr" 2>/dev/null
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n%s' \
    "$eku" "$extra" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey "$ca_key" -CAcreateserial -days 825 \
    -extfile "$name.ext" -out "$name.pem" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}

issue server "${names[0]}" serverAuth "subjectAltName=$sans"
issue client dynamiq clientAuth
chmod 644 ca.pem server.pem client.pem server.key client.key
chmod 600 "$ca_key"
rm -f ca.srl
echo "Wrote $(pwd): ca.pem, server.pem/.key (${names[*]}), client.pem/.key"
