#!/bin/sh
#! assess-corpus: expect=rm-rf-root
rm --recursive --force --no-preserve-root "$TARGET"
