# bench: make bench

# bench/audit_append: the cost of one durable audit append (self-contained;
# method and numbers in docs/audit-benchmark.md).  `make bench-audit`.
noinst_PROGRAMS += bench/audit_append
bench_audit_append_SOURCES = bench/audit_append.c
bench_audit_append_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
bench_audit_append_LDADD = $(LIBCALYX)
bench-audit: bench/audit_append$(EXEEXT)
	./bench/audit_append
.PHONY: bench-audit
