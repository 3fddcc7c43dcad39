# tests/audit: see tests/local.mk
