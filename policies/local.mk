# policies: JSON Schemas of the lease and the policy, and example policies.
# Installed under $(pkgdatadir); tests/docs/schemas.sh and policies.sh hold
# them against leasexec's own readers.
leasexecschemasdir = $(pkgdatadir)/schemas
dist_leasexecschemas_DATA = policies/lease.schema.json policies/policy.schema.json

leasexecpoliciesdir = $(pkgdatadir)/policies
dist_leasexecpolicies_DATA = policies/ci-runner.json policies/agent-staging.json \
	policies/sysadmin-oncall.json policies/README.md
