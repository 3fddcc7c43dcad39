#!/bin/sh
#! assess-corpus: expect=slack-token
URL=https://hooks.slack.com/services/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
