#!/bin/sh
#! assess-corpus: expect=chmod-setuid
chmod u+s ./helper
