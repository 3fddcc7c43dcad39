#!/bin/sh
#! assess-corpus: expect=write-protected
cp ./ls /usr/bin/ls
