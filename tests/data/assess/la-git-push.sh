#!/bin/sh
#! assess-corpus: expect=none
git push --force origin feature/x
git push origin main
