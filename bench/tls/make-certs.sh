#!/bin/sh
# The benchmarks' server certificate, signed by the test CA (test/tls): it names
# Plein's benchmark addresses 127.0.9.1-12 and the 1,000 sink addresses
# 127.100.0-3.1-250 (one simulated remote instance each). Valid for 20 years.
set -e
cd "$(dirname "$0")"
CA=../../test/tls
{
  printf "subjectAltName=DNS:localhost"
  for b in $(seq 1 12); do printf ",IP:127.0.9.%d" "$b"; done
  for a in 0 1 2 3; do for b in $(seq 1 250); do printf ",IP:127.100.%d.%d" "$a" "$b"; done; done
  echo
  echo "basicConstraints=CA:FALSE"
  echo "keyUsage=digitalSignature,keyEncipherment"
  echo "extendedKeyUsage=serverAuth"
} > ext.cnf
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=plein benchmark hosts"
openssl x509 -req -in server.csr -CA $CA/ca.pem -CAkey $CA/ca.key -CAcreateserial -CAserial server.srl -out server.pem -days 7300 -extfile ext.cnf
rm -f server.csr server.srl ext.cnf
