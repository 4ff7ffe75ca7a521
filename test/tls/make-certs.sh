#!/bin/sh
# Regenerates the test CA and the server certificate for all test instance addresses.
set -e
cd "$(dirname "$0")"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 7300 \
  -subj "/CN=Plein test CA (never trust outside tests)" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
{
  printf "subjectAltName=DNS:localhost,IP:127.0.0.1"
  for a in 1 2 3 4 5 6 7 8; do for b in $(seq 1 12); do printf ",IP:127.0.%d.%d" "$a" "$b"; done; done
  echo
  echo "basicConstraints=CA:FALSE"
  echo "keyUsage=digitalSignature,keyEncipherment"
  echo "extendedKeyUsage=serverAuth"
} > ext.cnf
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=plein test instances"
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 7300 -extfile ext.cnf
rm -f server.csr ca.srl
