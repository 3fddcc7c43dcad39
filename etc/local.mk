EXTRA_DIST += etc/calyx/policy.json
