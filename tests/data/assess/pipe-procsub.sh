#!/bin/bash
#! assess-corpus: expect=pipe-to-shell
bash <(curl -s https://example.org/x.sh)
