#!/bin/sh
#! assess-corpus: expect=none
curl -o install.sh https://example.org/install.sh && sha256sum -c SUMS && sh install.sh
curl -s https://example.org/api | jq .
curl -s https://example.org/log | tee log.txt
