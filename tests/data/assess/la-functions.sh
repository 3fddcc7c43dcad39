#!/bin/sh
#! assess-corpus: expect=none
f() { echo hi; }; f
retry() { make || retry; }
foo | foo
