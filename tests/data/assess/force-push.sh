#!/bin/sh
#! assess-corpus: expect=force-push-protected
git push --force origin main
