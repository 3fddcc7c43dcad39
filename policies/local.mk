# policies: JSON Schemas of the lease and the policy, and example policies.
# Installed under $(pkgdatadir) (the variables avoid "exec" in their names:
# automake would install such data with install-exec); tests/docs/schemas.sh and policies.sh hold
# them against leasexec's own readers.
calyxschemasdir = $(pkgdatadir)/schemas
dist_calyxschemas_DATA = policies/lease.schema.json policies/policy.schema.json

calyxpoliciesdir = $(pkgdatadir)/policies
dist_calyxpolicies_DATA = policies/ci-runner.json policies/agent-staging.json \
	policies/sysadmin-oncall.json policies/README.md
