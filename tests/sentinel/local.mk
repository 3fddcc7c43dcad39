# tests/sentinel: see tests/local.mk
