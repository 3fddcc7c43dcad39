#!/bin/sh
#! assess-corpus: expect=force-push-protected
git push origin +master
