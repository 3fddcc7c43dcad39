#!/bin/sh
#! assess-corpus: expect=pipe-to-shell
curl -fsSL https://get.example.org/install.sh | sh -s -- --yes
