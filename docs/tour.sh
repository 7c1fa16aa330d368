#!/usr/bin/env bash
# The README's tour, runnable end to end: `bash docs/tour.sh`. CI runs it (test/tour.test.ts)
# against a fresh server, and a test keeps the README's tour blocks equal to the sections
# between the `tour:begin NAME` / `tour:end` markers below (`node test/support/tour-readme.ts --write`
# copies them into the README).
#
# Needs `trustplane` and `trustplane-agent` on PATH (in a checkout: `npm install && npm link`),
# openssl and curl. It starts `trustplane serve` with a fresh home on free loopback ports in a
# temporary directory, and stops it at the end. Environment:
#   TOUR_PORT, TOUR_EST_PORT  the ports to use (default: free ones found here)
#   TOUR_KEEP=1               keep the temporary directory (its path is printed)
set -euo pipefail

for tool in trustplane trustplane-agent openssl curl awk base64; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "tour: $tool is not on PATH (trustplane: run \`npm link\` in the checkout)" >&2
    exit 1
  }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/trustplane-tour.XXXXXX")"
cd "$WORK"

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p
  for _ in $(seq 1 100); do
    # below Linux's ephemeral range (32768-60999): no other process's connect() or listen(0) takes it meanwhile
    p=$((20000 + RANDOM % 12000))
    if port_free "$p"; then echo "$p"; return 0; fi
  done
  echo "tour: no free loopback port" >&2
  return 1
}
PORT="${TOUR_PORT:-$(free_port)}"
EST_PORT="${TOUR_EST_PORT:-$(free_port)}"

SERVE_PID=""
finish() {
  local rc=$?
  trap - EXIT
  if [ -n "$SERVE_PID" ]; then
    kill -TERM "$SERVE_PID" 2>/dev/null || true
    wait "$SERVE_PID" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ]; then
    echo "tour: FAILED (exit $rc); the server's log:" >&2
    tail -n 40 "$WORK/serve.log" >&2 || true
  fi
  if [ "${TOUR_KEEP:-}" = 1 ] || [ "$rc" -ne 0 ]; then
    echo "tour: files kept in $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap finish EXIT

section() { printf '\n== %s\n' "$*"; }

section "server: a fresh home in $WORK/home, API on 127.0.0.1:$PORT, EST on 127.0.0.1:$EST_PORT"
trustplane serve --home "$WORK/home" --listen "127.0.0.1:$PORT" --est-listen "127.0.0.1:$EST_PORT" \
  --public-url "http://127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 1200); do   # up to 2 minutes: a first start on a loaded machine is slow
  if curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && [ -s "$WORK/home/admin-token" ]; then break; fi
  kill -0 "$SERVE_PID" 2>/dev/null || { echo "tour: the server exited" >&2; exit 1; }
  sleep 0.1
done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null

# The first start wrote a bootstrap admin token to the home: the tour reads it from that file.
# --- tour:begin connection
umask 077                                                     # keys and tokens below: this user's only
export TRUSTPLANE_URL="http://127.0.0.1:$PORT"                 # the API (npm start: port 8443)
export TRUSTPLANE_TOKEN_FILE="$WORK/home/admin-token"         # npm start: ./.trustplane/admin-token
EST="https://127.0.0.1:$EST_PORT"                              # the EST listener (npm start: port 8444)
# --- tour:end

section "products and devices"
# --- tour:begin products
# a product: its CRA class, support period, key algorithm; it gets its own issuing CA
trustplane product create --sku gw-100 --name "Gateway 100" --cra-class important-1 \
    --support-until 2035-12-31 --key-alg ecdsa-p256 --cert-days 365

# devices: one, or a CSV with a header `serial,hardware_id` (a progress bar shows on a terminal)
trustplane device register --product gw-100 --serial SN0001 --hardware-id 00:11:22:33:44:55
printf 'serial,hardware_id\nSN0002,00:11:22:33:44:56\nSN0003,00:11:22:33:44:57\n' > devices.csv
trustplane device import --product gw-100 --csv devices.csv

# the CA chain: issuing CA, then the root, which is every client's trust anchor
trustplane ca export --product gw-100 --out chain.pem
awk '/BEGIN/ { n++ } { print > (n == 1 ? "issuing-ca.pem" : "root.pem") }' chain.pem
# --- tour:end

section "a device's life over the API"
# --- tour:begin lifecycle
# the device makes its key and CSR; trustplane decides the subject and extensions
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout device.key -subj /CN=any -out req.pem
trustplane device enroll --product gw-100 --serial SN0001 --csr req.pem --out device.pem
openssl verify -CAfile root.pem -untrusted issuing-ca.pem device.pem

# revocation, checked by any client at the URL inside the certificate (OCSP; the CRL is beside it)
openssl ocsp -issuer issuing-ca.pem -cert device.pem -CAfile root.pem \
    -url "$(openssl x509 -in device.pem -noout -ocsp_uri)"
trustplane device suspend   --product gw-100 --serial SN0001   # certificateHold
trustplane device reinstate --product gw-100 --serial SN0001   # removeFromCRL

# renewal with a new key (for the same key, send a new CSR signed by device.key)
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout device-2.key -subj /CN=any -out new-req.pem
trustplane device renew --product gw-100 --serial SN0001 --csr new-req.pem --out device-2.pem
cmp <(openssl x509 -in device-2.pem -noout -pubkey) <(openssl pkey -in device-2.key -pubout)   # the same public key

trustplane device revoke --product gw-100 --serial SN0001 --reason keyCompromise
openssl ocsp -issuer issuing-ca.pem -cert device-2.pem -CAfile root.pem \
    -url "$(openssl x509 -in device-2.pem -noout -ocsp_uri)"                  # device-2.pem: revoked at once

# the CRL follows within TRUSTPLANE_CRL_DELAY (60 s), batched; an operator may publish now
trustplane ca publish-crl --product gw-100
crl_url=$(openssl x509 -in device-2.pem -noout -ext crlDistributionPoints | grep -o 'http[^ ]*')
curl -s "$crl_url" -o crl.der && openssl crl -inform DER -in crl.der -out crl.pem
openssl verify -crl_check -CRLfile crl.pem -CAfile root.pem -untrusted issuing-ca.pem device-2.pem || true   # certificate revoked
trustplane device decommission --product gw-100 --serial SN0003   # final; revokes with cessationOfOperation

trustplane device show    --product gw-100 --serial SN0001
trustplane device history --product gw-100 --serial SN0001       # every event: who, what, when
trustplane device list    --product gw-100 --state registered
# --- tour:end

section "tokens for people and stations"
# --- tour:begin tokens
# credentials for people and stations: role, owner, expiry (at most 12 h); the secret is printed
# once, so it goes straight to a file (readable by this user only: umask 077 above)
trustplane token create --role auditor --owner audit-team --ttl 1h > auditor.token
trustplane --token-file auditor.token device list --product gw-100   # read-only
trustplane token list
# --- tour:end

section "enrollment at the factory: EST"
# --- tour:begin est
# the line's one-time tokens: one per serial, single-use, expiring, stored hashed (the CSV is 0600)
trustplane batch create --product gw-100 --factory line-3 --range SN-00001..SN-00004 --valid-days 14 \
    --out tokens.csv --json > batch.json
BATCH="$(sed -n 's/^  "id": "\(bat_[^"]*\)".*/\1/p' batch.json)"
trustplane batch show --batch "$BATCH" --serials      # used / unused, station, certificate

# what any EST client does (here curl and openssl): the CSR goes base64, the token as HTTP Basic
# (curl reads serial and token from a config file, so the token is not on its command line)
awk -F, '$2 == "SN-00001" { printf "user = \"%s:%s\"\n", $2, $3 }' tokens.csv > SN-00001.curl
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout d.key -subj /CN=SN-00001 -outform DER -out d.der
base64 -w0 d.der > d.b64
curl -sS --fail-with-body --cacert root.pem -K SN-00001.curl -H 'Content-Type: application/pkcs10' \
    -H 'Trustplane-Station: st-07' --data-binary @d.b64 "$EST/.well-known/est/gw-100/simpleenroll" | base64 -d > d.p7
openssl pkcs7 -inform DER -in d.p7 -print_certs -out d.pem
# renewal: authenticated by the current certificate (here the same key, in a new CSR)
openssl req -new -key d.key -subj /CN=SN-00001 -outform DER -out d-renew.der
base64 -w0 d-renew.der > d-renew.b64
curl -sS --fail-with-body --cacert root.pem --cert d.pem --key d.key -H 'Content-Type: application/pkcs10' \
    --data-binary @d-renew.b64 "$EST/.well-known/est/gw-100/simplereenroll" | base64 -d > d-renew.p7
openssl pkcs7 -inform DER -in d-renew.p7 -print_certs -out d-renewed.pem
openssl verify -CAfile root.pem -untrusted issuing-ca.pem d-renewed.pem

# the device agent does all of it for another serial, keeps the key on the device (0600), renews
awk -F, '$2 == "SN-00002" { print $3 }' tokens.csv > SN-00002.token
trustplane-agent enroll --server "$EST" --ca-bundle root.pem --product gw-100 \
    --serial SN-00002 --token-file SN-00002.token --state-dir agent-SN-00002
trustplane-agent status --state-dir agent-SN-00002
trustplane-agent renew --state-dir agent-SN-00002    # now; `trustplane-agent run` renews inside the window
trustplane device history --product gw-100 --serial SN-00002   # via est-token, the batch, the factory

# new tokens for the unused serials (the old ones stop working), then end the batch
trustplane batch export --batch "$BATCH" --out tokens-2.csv
trustplane batch close --batch "$BATCH"

# or: the manufacturer's IDevID CA (IEEE 802.1AR); its device certificates enroll registered serials
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout maker-ca.key -out maker-ca.pem \
    -days 365 -subj '/O=Maker/CN=Maker IDevID CA' \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout idevid.key \
    -subj '/O=Maker/serialNumber=SN0002/CN=SN0002' -out idevid.csr
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n' > idevid.ext
openssl x509 -req -in idevid.csr -CA maker-ca.pem -CAkey maker-ca.key -CAcreateserial -days 365 \
    -extfile idevid.ext -out idevid.pem
trustplane product bootstrap-ca add --product gw-100 --ca maker-ca.pem
trustplane-agent enroll --server "$EST" --ca-bundle root.pem --product gw-100 \
    --bootstrap-cert idevid.pem --bootstrap-key idevid.key --state-dir agent-SN0002

# a simulated fleet: a fresh batch, each device enrolled over EST and renewed once
trustplane-agent simulate --server "$EST" --api "$TRUSTPLANE_URL" --token-file "$TRUSTPLANE_TOKEN_FILE" \
    --ca-bundle root.pem --product gw-100 --devices 20 --concurrency 4 --renew
# --- tour:end

section "revoked means revoked: an operator re-provisions SN0001"
# --- tour:begin reprovision
# SN0001 was revoked for keyCompromise above: nothing the device holds brings it back. An operator
# decides, once, with a reason in the ledger; --via token prints a one-time token for that serial
trustplane device reprovision --product gw-100 --serial SN0001 --via token \
    --reason "board replaced, RMA 4711" > SN0001.token
trustplane-agent enroll --server "$EST" --ca-bundle root.pem --product gw-100 \
    --serial SN0001 --token-file SN0001.token --state-dir agent-SN0001   # a new key, made on the device
trustplane device history --product gw-100 --serial SN0001   # revoked, the operator's decision, re-provisioned
# --- tour:end

section "the trust ledger"
# --- tour:begin ledger
# keep the log's verifier key (its public key, by name) and a signed checkpoint, as an auditor would
printf 'Authorization: Bearer %s\n' "$(cat "$TRUSTPLANE_TOKEN_FILE")" > api-auth.header
curl -sS --fail-with-body -H @api-auth.header "$TRUSTPLANE_URL/v1/ledger/checkpoint" \
    | sed -n 's/.*"verifierKey":"\([^"]*\)".*/\1/p' > vkey.txt
curl -sS --fail-with-body "$TRUSTPLANE_URL/ledger/checkpoint" > old.txt   # C2SP tlog-tiles layout, no token
trustplane device register --product gw-100 --serial SN0004    # the log grows
trustplane ledger verify                          # recompute the tree from every entry; check every signed checkpoint
trustplane ledger verify --from-checkpoint old.txt --verifier-key "$(cat vkey.txt)"   # and that it extends old.txt
trustplane ledger prove --event 3 --out bundle.json    # event, inclusion proof, signed checkpoint, public key
trustplane ledger check-proof bundle.json --verifier-key "$(cat vkey.txt)"          # no server, no database
# --- tour:end

section "signed updates: a TUF root, a release approved by two release managers"
# --- tour:begin updates
# people's keys, each made on its owner's machine: two product security officers, three release managers
for who in olga oscar alice bob carol; do trustplane keygen --out "$who.key"; done
trustplane tuf init --product gw-100 --officer olga=olga.key.pub --officer oscar=oscar.key.pub --root-threshold 2 \
    --manager alice=alice.key.pub --manager bob=bob.key.pub --manager carol=carol.key.pub \
    --managers-expire 2030-12-31 --approvals 2
trustplane tuf sign-root --product gw-100 --key olga.key     # each officer signs on their machine
trustplane tuf sign-root --product gw-100 --key oscar.key    # 2 of 2: root 1 is in force

# a firmware release: the image and its CycloneDX SBOM; nothing goes out before 2 managers approve
head -c 1048576 /dev/urandom > fw-2.4.1.bin
echo '{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
  "metadata":{"component":{"type":"firmware","name":"gw-100-firmware","version":"2.4.1"}},
  "components":[{"type":"library","name":"openssl","version":"3.0.15","purl":"pkg:generic/openssl@3.0.15"}]}' > bom.cdx.json
RELEASE=$(trustplane release create --product gw-100 --version 2.4.1 --security-version 7 --security \
    --image fw-2.4.1.bin --sbom bom.cdx.json | sed -n 's/^id: *//p')
trustplane release approve --product gw-100 --release "$RELEASE" --key alice.key --image fw-2.4.1.bin
trustplane release approve --product gw-100 --release "$RELEASE" --key bob.key --image fw-2.4.1.bin  # published
curl -sS --fail-with-body "$TRUSTPLANE_URL/tuf/gw-100/metadata/timestamp.json"   # what a device reads first; no token
trustplane tuf show --product gw-100
# --- tour:end

section "the CRA profile: Annex entry, support period, conformity route, vulnerability contact"
# --- tour:begin cra
# the Annex III entry the product's core function falls under, when it is placed on the market, until
# when it is supported, who takes vulnerability reports (under five years of support: a warning until justified)
trustplane product profile set --product gw-100 --annex III-I-12 --placed-on-market 2026-03 --support-until 2035-12 \
    --contact mailto:psirt@example.com --cvd-policy https://example.com/security/cvd --languages en,de
trustplane product route --product gw-100 --procedure B+C   # class I without harmonised standards in full: B+C or H
trustplane product profile --product gw-100                  # what is allowed, who chose what, retention dates, warnings
curl -sS --fail-with-body "$TRUSTPLANE_URL/products/gw-100/security.txt"   # RFC 9116, public: no token
# --- tour:end

section "tour complete"
