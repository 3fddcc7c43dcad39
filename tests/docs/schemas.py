# SPDX-License-Identifier: ISC
"""The JSON Schemas of policies/ against leasexec's own readers (TAP).

1. The schemas are valid draft 2020-12 schemas.
2. Every golden lease fixture (tests/data/leases) gets the verdict its defect
   calls for: structural defects are refused by the schema; lexical ones
   (canonical bytes, floats, duplicate keys, ...) by a strict loader that
   stands in for leasexec's lexer, which no JSON Schema can see; signature,
   window and policy defects are structurally valid.
3. The default policy, the test policy and every example policy are accepted
   by policy_parse() (tests/docs/docs-check) and by the schema.
4. Differential: hundreds of mutations of a lease body and of a policy go to
   both the schema and the C reader (docs-check signs each body with a test
   key, then reads it exactly as leasexec does); every verdict must agree,
   except the known gaps listed in GAPS (a cross-field or arithmetic rule a
   JSON Schema cannot state), which must disagree in the documented way:
   the schema accepts, leasexec refuses.

Run by tests/docs/schemas.sh with CALYX_SRCDIR and CALYX_BUILDDIR set.
"""
import copy
import json
import os
import subprocess
import sys
import tempfile

import jsonschema
from jsonschema import Draft202012Validator

SRC = os.environ["CALYX_SRCDIR"]
BUILD = os.environ["CALYX_BUILDDIR"]
CHECK = os.path.join(BUILD, "tests", "docs", "docs-check")
POL = os.path.join(SRC, "policies")
N = 0
FAILED = 0


def tap(ok, desc, *diag):
    global N, FAILED
    N += 1
    print(("ok %d - %s" if ok else "not ok %d - %s") % (N, desc))
    if not ok:
        FAILED += 1
        for d in diag:
            for line in str(d).splitlines():
                print("# " + line)
    sys.stdout.flush()


# ---- schemas -------------------------------------------------------------

def load_schema(name):
    with open(os.path.join(POL, name), encoding="utf-8") as f:
        return json.load(f)


LEASE = load_schema("lease.schema.json")
POLICY = load_schema("policy.schema.json")
STORE = {LEASE["$id"]: LEASE, POLICY["$id"]: POLICY}


def validator(schema):
    resolver = jsonschema.RefResolver(base_uri=schema["$id"], referrer=schema, store=STORE)
    return Draft202012Validator(schema, resolver=resolver,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


for name, s in (("lease.schema.json", LEASE), ("policy.schema.json", POLICY)):
    try:
        Draft202012Validator.check_schema(s)
        tap(True, "%s is a valid draft 2020-12 schema" % name)
    except jsonschema.SchemaError as e:
        tap(False, "%s is a valid draft 2020-12 schema" % name, e.message)

DOC_V = validator(LEASE)
BODY_V = validator({"$schema": LEASE["$schema"], "$id": LEASE["$id"],
                    "$ref": "#/$defs/body", "$defs": LEASE["$defs"]})
POLICY_V = validator(POLICY)


def schema_ok(v, instance):
    errs = sorted(v.iter_errors(instance), key=lambda e: list(e.absolute_path))
    return (not errs), ("; ".join("%s: %s" % ("/".join(map(str, e.absolute_path)) or "(top)",
                                              e.message[:160]) for e in errs[:3]))


# ---- the strict loader: what leasexec's lexer refuses before any schema ----

class Lexical(Exception):
    pass


def _pairs(pairs):
    seen = set()
    for k, _ in pairs:
        if k in seen:
            raise Lexical("duplicate key %r" % k)
        seen.add(k)
    return dict(pairs)


def _no_float(s):
    raise Lexical("number %s is not an integer" % s)


def _no_const(s):
    raise Lexical("%s is not JSON" % s)


def _walk(v, depth=1):
    if depth > 12:
        raise Lexical("nesting deeper than 12")
    if isinstance(v, dict):
        for k, x in v.items():
            _walk(k, depth)
            _walk(x, depth + 1)
    elif isinstance(v, list):
        for x in v:
            _walk(x, depth + 1)
    elif isinstance(v, str):
        if "\0" in v:
            raise Lexical("NUL in a string")
        if any(0xD800 <= ord(c) <= 0xDFFF for c in v):
            raise Lexical("unpaired surrogate")
    elif isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**53 - 1:
        raise Lexical("integer beyond 2^53-1")


def strict_load(raw):
    if len(raw) > 64 * 1024:
        raise Lexical("document over 64 KiB")
    try:
        text = raw.decode("utf-8")
        v = json.loads(text, object_pairs_hook=_pairs, parse_float=_no_float,
                       parse_constant=_no_const)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise Lexical(str(e))
    _walk(v)
    return v


def lenient_load(raw):
    """What a plain JSON library makes of it (None: not even that)."""
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


# ---- 2. the golden fixtures ------------------------------------------------
# name: (kind, what a plain JSON loader + the schema say)
#   valid:    structurally valid (the defect is in signatures, window, host,
#             subject, approvals or canonical bytes; leasexec finds it later)
#   invalid:  the schema refuses it
#   lexical:  the strict loader refuses it; the second field says what the
#             schema says of a lenient parse ("accept", "refuse", "unloadable")
FIXTURES = {
    "valid": ("valid", None), "valid-previous-kid": ("valid", None),
    "valid-dup-sig": ("valid", None), "valid-unknown-cosigner": ("valid", None),
    "valid-envelope-ws": ("valid", None), "approval-met": ("valid", None),
    "approval-one-key": ("valid", None), "approval-same-role": ("valid", None),
    "expired": ("valid", None), "not-yet-valid": ("valid", None),
    "wrong-host": ("valid", None), "wrong-subject": ("valid", None),
    "forged-sig": ("valid", None), "valid-plus-forged": ("valid", None),
    "body-changed": ("valid", None), "unknown-kid": ("valid", None),
    "retired-kid": ("valid", None), "lapsed-kid": ("valid", None),
    "issuer-not-signer": ("valid", None),
    "noncanon-whitespace": ("valid", None), "noncanon-order": ("valid", None),
    "noncanon-escape": ("valid", None),
    "no-signatures": ("invalid", None), "missing-signatures": ("invalid", None),
    "too-many-signatures": ("invalid", None), "sig-not-base64": ("invalid", None),
    "case-duplicate-key": ("invalid", None), "case-variant-key": ("invalid", None),
    "unknown-field": ("invalid", None), "subject-newline": ("invalid", None),
    "huge-int": ("lexical", "refuse"), "deep-nesting": ("lexical", "refuse"),
    "nul-escape": ("lexical", "refuse"), "lone-surrogate": ("lexical", "refuse"),
    "lone-low-surrogate": ("lexical", "refuse"),
    "duplicate-key": ("lexical", "accept"), "float": ("lexical", "accept"),
    "exponent": ("lexical", "accept"), "oversize": ("lexical", "accept"),
    "leading-zero": ("lexical", "unloadable"), "trailing-garbage": ("lexical", "unloadable"),
    "invalid-utf8": ("lexical", "unloadable"), "nul-byte": ("lexical", "unloadable"),
    "control-char": ("lexical", "unloadable"),
}

fixdir = os.path.join(SRC, "tests", "data", "leases")
names = sorted(f[:-5] for f in os.listdir(fixdir) if f.endswith(".json"))
tap(set(names) == set(FIXTURES), "every lease fixture has an expectation (and no more)",
    "without one: %s" % sorted(set(names) - set(FIXTURES)),
    "stale: %s" % sorted(set(FIXTURES) - set(names)))
for name in names:
    if name not in FIXTURES:
        continue
    kind, lenient = FIXTURES[name]
    with open(os.path.join(fixdir, name + ".json"), "rb") as f:
        raw = f.read()
    try:
        doc = strict_load(raw)
        lex = None
    except Lexical as e:
        doc, lex = None, str(e)
    if kind == "lexical":
        lv = lenient_load(raw)
        said = "unloadable" if lv is None else ("accept" if schema_ok(DOC_V, lv)[0] else "refuse")
        tap(lex is not None and said == lenient,
            "fixture %s: refused before any schema (%s); a plain loader + schema: %s"
            % (name, lex, lenient), "strict loader: %s" % (lex or "accepted"),
            "plain loader + schema: %s" % said)
        continue
    ok, why = schema_ok(DOC_V, doc) if doc is not None else (False, "strict loader: " + lex)
    want = kind == "valid"
    tap(lex is None and ok == want, "fixture %s: the schema %s it" % (name, "accepts" if want else "refuses"),
        why or "accepted")

# ---- 3. policies -----------------------------------------------------------

def run_check(args):
    p = subprocess.run([CHECK] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    return p.returncode, p.stdout, p.stderr


examples = sorted(os.path.join(POL, f) for f in os.listdir(POL)
                  if f.endswith(".json") and not f.endswith(".schema.json"))
tap(len(examples) >= 3, "policies/ has at least three example policies (%d)" % len(examples))
for path in [os.path.join(SRC, "etc", "calyx", "policy.json"),
             os.path.join(SRC, "tests", "data", "policy.json")] + examples:
    rel = os.path.relpath(path, SRC)
    rc, out, err = run_check(["policy", path])
    tap(rc == 0 and out.strip() == path + " ok", "%s: policy_parse() accepts it" % rel, out, err)
    with open(path, "rb") as f:
        ok, why = schema_ok(POLICY_V, strict_load(f.read()))
    tap(ok, "%s: the policy schema accepts it" % rel, why)

# ---- 4. differential ---------------------------------------------------------

rc, out, _ = run_check(["kid"])
KID = out.strip()

BASE_LEASE = {
    "v": 1, "id": "LEASE-20300101-000000-00ab", "intent": "PLAN-42", "issuer": KID,
    "subject": "alice", "hosts": ["web1", "web2"],
    "issued_at": "2030-01-01T00:00:00Z", "not_before": "2030-01-01T00:00:00Z",
    "expires_at": "2030-01-01T00:10:00Z", "run_as": "root", "caps": ["net_bind_service"],
    "commands": [{"path": "/usr/bin/make", "args": ["test"]},
                 {"path": "/usr/bin/git", "args": ["status", "**"], "sha256": "ab" * 32}],
    "cwd": ["/home/alice/src"],
    "paths": {"ro": ["/home/alice"], "rw": ["/home/alice/src"], "exec": ["/opt/tools"]},
    "env": {"allow": ["LANG", "LC_*"], "set": {"CI": "1"}},
    "limits": {"wall": "10m", "cpu": "1.5", "memory": "2G", "pids": 128, "fsize": "1G",
               "nofile": 1024, "disk_write": "4G", "output": "16M"},
    "network": {"mode": "allow", "allow": ["10.0.0.0/8:443", "[2001:db8::/32]:80-81"]},
    "max_uses": 5, "profile": "trusted", "capture": True, "expiry": "finish",
    "pty": "auto", "record_input": True, "auth": "pam",
    "assess": {"max": "HIGH", "override": True},
}

with open(os.path.join(SRC, "etc", "calyx", "policy.json"), "rb") as f:
    BASE_POLICY = strict_load(f.read())
BASE_POLICY["run_as"]["groups"] = ["www-data"]
BASE_POLICY["caps"] = ["net_bind_service"]
BASE_POLICY["seccomp"] = {"action": "errno", "deny": ["personality"], "allow": ["ptrace"]}
BASE_POLICY.update({"auth": "run_as_root", "auth_timeout": 300, "pam_session": True,
                    "record_input": False})
BASE_POLICY["approvals"].append({"name": "prod", "when": {"rw_under": "/srv/prod", "caps": True},
                                 "signatures": 2, "distinct_roles": True,
                                 "roles": ["human", "host"]})
BASE_POLICY["assess"] = {
    "assessors": ["secrets", "danger", "shellcheck", "bandit"], "default_max": "HIGH",
    "on_error": "BLOCKED", "override_max": "HIGH", "timeout": "5s",
    "protected_branches": ["main"], "user": "nobody", "max_file": "4M",
    "levels": {"jwt": "HIGH"},
    "limits": {"memory": "1G", "cpu": 10, "pids": 64},
    "external": {"shellcheck": {"path": "/usr/bin/shellcheck",
                                "levels": {"error": "HIGH", "warning": "MEDIUM", "info": "LOW",
                                           "style": "LOW"}},
                 "bandit": {"path": "/usr/bin/bandit",
                            "levels": {"HIGH": "HIGH", "MEDIUM": "MEDIUM", "LOW": "LOW",
                                       "UNDEFINED": "LOW"}}}}

TYPES = [None, True, False, 0, 1, -1, "x", "", [], {}, ["x"], {"x": 1}, 1.5]

USERS = ["alice", "a$", "$", "_a", ".a", "a.b-c_d", "-a", "1a", "a b", "a\n", "a$b", "é",
         "a:b", "x" * 32, "x" * 33, ""]
PATHS = ["/", "/a", "/a/b", "/a/", "//a", "/a//b", "/./a", "/a/.", "/a/..", "/../a",
         "/a/...", "/..a", "/.a", "a", "", "/a\n", "/a b", "/é", "./a"]
HOSTS = ["web1", "web-1.example.org", "_srv", "a" * 253, "a" * 254, ".a", "-a", "a b", "*",
         "a*", "é", "a\n", ""]
TIMES = ["2030-01-01T00:00:00Z", "2030-01-01T00:00:00", "2030-01-01 00:00:00Z",
         "2030-1-01T00:00:00Z", "2030-13-01T00:00:00Z", "2030-01-01T24:00:00Z",
         "2030-01-01T00:60:00Z", "2030-01-01T00:00:00.000Z", "0999-01-01T00:00:00Z",
         "2030-01-01T00:00:00z", "2030-01-01T00:00:00Z\n", ""]
IDS = ["LEASE-20300101-000000-0001", "LEASE-20300101-000000-" + "a" * 16,
       "LEASE-20300101-000000-" + "a" * 17, "LEASE-20300101-000000-abc",
       "LEASE-20300101-000000-ABCD", "LEASE-2030010-000000-0001", "lease-20300101-000000-0001",
       "LEASE-20300101-000000-0001\n", "LEASE-20300101T000000-0001", ""]
KIDS = [KID, "ed25519:" + "0" * 16, "ed25519:" + "0" * 15, "ED25519:" + KID[8:], "x", ""]
ENVS = ["LANG", "_X", "X1", "LC_*", "*", "1X", "A-B", "A B", "A**", "A*B", "x" * 128,
        "x" * 127 + "*", "x" * 129, "É", "A\n", ""]
CAPS = ["chown", "CHOWN", "Cap_Chown", "CAP_NET_BIND_SERVICE", "checkpoint_restore",
        "cap_", "chown2", "cap_cap_chown", "net bind", "", "sys_admin"]
RULES = ["10.0.0.0/8:443", "10.1.2.3:1", "10.1.2.3/32:65535", "0.0.0.0/0:1-65535",
         "10.1.2.3:0", "10.1.2.3:65536", "10.1.2.3:01", "10.1.2.3:+1", "10.1.2.3:443-80x",
         "10.1.2.3/33:443", "10.1.2.3/032:443", "10.1.2.3/:443", "10.1.2.3/+8:443",
         "010.1.2.3:443", "256.1.2.3:443", "10.1.2:443", "10.1.2.3", "10.1.2.3:",
         "[2001:db8::1]:443", "[2001:db8::/32]:80-81", "[::]:1", "[::ffff:10.1.2.3]:443",
         "[::1/128]:22", "[::1/129]:22", "[2001:db8::1:443", "2001:db8::1:443",
         "[2001:db8:::1]:443", "[1:2:3:4:5:6:7:8:9]:1", "[1:2:3:4:5:6:7:8]:1",
         "[1::2::3]:1", "[fe80::1%eth0]:1", "[12345::1]:1", "[::ffff:256.1.2.3]:1",
         "10.1.2.3:80 ", " 10.1.2.3:80", "10.1.2.3:80\n", ""]
LIMIT_STR = {
    "wall": ["1", "90s", "10m", "2h", "1d", "007", "0", "0s", "1w", "1.5", "m", "-1", "+1",
             "1 s", "10M", ""],
    "cpu": ["1", "0.5", "1.5", "0.001", "0.0005", "1.", ".5", "0", "0.0", "0.000",
            "00.001", "10000009", "10000010", "99999999", "1000000.999", "+1", "1e3", ""],
    "memory": ["1", "2G", "2g", "512M", "1K", "1T", "0", "0G", "1P", "1GB", "1.5G", "-1",
               "G", " 1G", ""],
    "pids": ["1", "+1", "0001", "2147483647", "2147483648", "9999999999", "0", "-1", "-0",
             "1k", " 1", "1 ", ""],
}
LIMIT_INT = {"wall": [1, 0, -5, 86400 * 365], "cpu": [1, 0, 10000009, 10000010],
             "memory": [1, 0, 2**53 - 1], "pids": [1, 0, 2147483647, 2147483648]}


def v6_forms():
    """Every :: compression of a full address, with and without an IPv4 tail."""
    out = []
    for groups in (["1", "22", "333", "4444", "a", "bB", "CcC", "0"],
                   ["1", "2", "3", "4", "5", "6", "10.1.2.3"]):
        n = len(groups)
        out.append(":".join(groups))
        for i in range(n + 1):
            for j in range(i, n + 1):
                if j - i < 1 and not (i == j == n):
                    continue
                out.append(":".join(groups[:i]) + "::" + ":".join(groups[j:]))
    out += ["1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", ":1:2:3:4:5:6:7",
            "1:2:3:4:5:6:7:", "::10.1.2.3", "1::10.1.2.3", "10.1.2.3::1", "1:10.1.2.3::",
            "::ffff:1.2.3", "::12345", "g::1", "::", ":::", "1:::2"]
    return ["[%s]:1" % a for a in out]


SHAS = ["ab" * 32, "AB" * 32, "ab" * 31, "ab" * 33, "zz" * 32, ""]
SIGS_OK = "A" * 85 + "Q=="


def at(obj, path):
    for p in path:
        obj = obj[p]
    return obj


def set_at(base, path, value):
    m = copy.deepcopy(base)
    at(m, path[:-1])[path[-1]] = value
    return m


def del_at(base, path):
    m = copy.deepcopy(base)
    del at(m, path[:-1])[path[-1]]
    return m


def leaves(obj, path=()):
    yield path, obj
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from leaves(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from leaves(v, path + (i,))


def pname(path):
    return ".".join(str(p) for p in path) or "(top)"


def structural(base):
    """Removals, unknown and case-variant keys, and wrong types everywhere."""
    for path, v in leaves(base):
        if isinstance(v, dict):
            yield pname(path), "unknown key", set_at(base, path + ("zz_unknown",), 1) if path else dict(base, zz_unknown=1)
            for k in list(v)[:1]:
                m = copy.deepcopy(base)
                o = at(m, path)
                o[k.upper() if k.upper() != k else k.lower()] = o.pop(k)
                yield pname(path), "case variant of %s" % k, m
        if not path:
            continue
        if isinstance(path[-1], str):
            yield pname(path), "removed", del_at(base, path)
        for t in TYPES:
            if t == v or (type(t) is type(v) and t not in ([], {})):
                continue
            yield pname(path), "as %s" % json.dumps(t), set_at(base, path, t)


def targeted_lease(base):
    def each(path, values):
        for x in values:
            yield pname(path), json.dumps(x), set_at(base, path, x)
    yield from each(("subject",), USERS)
    yield from each(("profile",), USERS)
    yield from each(("run_as",), ["root", "root:adm", "alice:adm", "root:", ":adm", "a$:b$",
                                  "root:a:b", "root:-x", "$:$"] + USERS)
    yield from each(("id",), IDS)
    yield from each(("issuer",), KIDS)
    yield from each(("intent",), ["x", "x" * 128, "x" * 129, "a b~", "\t", "é", "a\n", ""])
    for f in ("issued_at", "not_before", "expires_at"):
        yield from each((f,), TIMES)
    yield from each(("hosts",), [[h] for h in HOSTS] + [["*", "web1"], ["web1"] * 64,
                                                          ["web1"] * 65, []])
    yield from each(("commands", 0, "path"), PATHS)
    yield from each(("paths", "rw", 0), PATHS)
    yield from each(("cwd", 0), PATHS)
    yield from each(("commands", 1, "sha256"), SHAS)
    yield from each(("commands", 1, "args"), [["**"], [], ["a", "b"] * 32, ["a"] * 65])
    yield from each(("commands",), [[], [{"path": "/bin/true"}] * 64, [{"path": "/bin/true"}] * 65])
    yield from each(("env", "allow", 0), ENVS)
    for e in ENVS:
        yield "env.set", "name %s" % json.dumps(e), set_at(base, ("env", "set"), {e: "1"})
    yield from each(("env", "set"), [{}, {"A%d" % i: "" for i in range(64)},
                                     {"A%d" % i: "" for i in range(65)}])
    yield from each(("caps", 0), CAPS)
    yield from each(("network", "allow", 0), RULES + v6_forms())
    yield from each(("network", "allow"), [["10.0.0.0/8:443"] * 256, ["10.0.0.0/8:443"] * 257])
    for mode in ("none", "loopback", "host"):
        yield "network", "mode %s with allow" % mode, set_at(base, ("network",), {"mode": mode, "allow": ["10.0.0.0/8:1"]})
        yield "network", "mode %s, allow []" % mode, set_at(base, ("network",), {"mode": mode, "allow": []})
        yield "network", "mode %s alone" % mode, set_at(base, ("network",), {"mode": mode})
    yield "network", "mode allow without rules", set_at(base, ("network",), {"mode": "allow"})
    yield "network", "mode allow, allow []", set_at(base, ("network",), {"mode": "allow", "allow": []})
    yield from each(("network", "mode"), ["none", "NONE", "all", ""])
    yield "caps", "caps without run_as", del_at(base, ("run_as",))
    yield "caps", "caps [] without run_as", set_at(del_at(base, ("run_as",)), ("caps",), [])
    yield "caps", "caps with run_as alice", set_at(base, ("run_as",), "alice")
    yield from each(("max_uses",), [1, 1000000, 1000001, 0, -1])
    yield from each(("expiry",), ["kill", "finish", "KILL", ""])
    yield from each(("pty",), [True, False, "auto", "AUTO", "true", "yes", ""])
    yield from each(("auth",), ["none", "pam", "PAM", "password", ""])
    yield from each(("v",), [1, 2, 0, True])
    for lim, vals in LIMIT_STR.items():
        yield from each(("limits", lim), vals)
    for lim, vals in LIMIT_INT.items():
        yield from each(("limits", lim), vals)
    yield from each(("limits",), [{}, {"walltime": 1}])
    yield from each(("assess", "max"), ["LOW", "MEDIUM", "BLOCKED", "low", "SEVERE", ""])
    yield from each(("assess",), [{}, {"override": False}, {"min": "LOW"}])
    yield "signatures", "not in the body", set_at(base, ("signatures",), [])


def targeted_policy(base):
    def each(path, values):
        for x in values:
            yield pname(path), json.dumps(x), set_at(base, path, x)
    yield from each(("max_lifetime",), [1, 2592000, 2592001, 0])
    yield from each(("clock_skew",), [0, 3600, 3601, -1])
    yield from each(("caps", 0), CAPS)
    yield from each(("env_never", 0), ENVS)
    yield from each(("never_writable", 0), PATHS)
    yield from each(("base_paths", "exec", 0), PATHS)
    yield from each(("network_modes",), [[], ["none"] * 4, ["none"] * 5, ["all"], ["host"]])
    yield from each(("seccomp", "action"), ["errno", "kill", "log", "trap", ""])
    yield from each(("seccomp", "deny", 0), ["personality", "a_b1", "1x", "a-b", "", "x" * 129])
    yield from each(("layers", "landlock"), ["required", "best_effort", "off", "on", ""])
    yield from each(("sentinel",), ["required", "preferred", "off", "on"])
    yield from each(("auth",), ["none", "pam", "run_as_root", "run_as_other", "always", ""])
    yield from each(("auth_timeout",), [0, 1, 86400, 86401, -1, "5m"])
    yield from each(("sentinel_fatal",), [[], ["oom"], ["oom"] * 8, ["oom"] * 9, ["kill"]])
    yield from each(("sentinel_deny_threshold",), [0, 1000000, 1000001, -1])
    yield from each(("timeline_interval_ms",), [0, 1, 9, 10, 100, 60000, 60001, -1])
    yield from each(("approvals", 0, "signatures"), [1, 8, 9, 0])
    yield from each(("approvals", 0, "when", "network"), ["host", "none", "HOST"])
    yield from each(("approvals", 2, "when", "rw_under"), PATHS)
    yield from each(("approvals", 2, "roles"), [[], ["r"] * 8, ["r"] * 9])
    yield from each(("approvals",), [[], [{"name": "x", "signatures": 1}] * 64,
                                     [{"name": "x", "signatures": 1}] * 65])
    yield from each(("retention", "max_runs"), [1, 2147483647, 2147483648, 0])
    yield from each(("retention", "max_age"), [1, "0", "30d", "1w", 0, "", "-1"])
    yield from each(("audit", "seal_every"), [1, 1000000, 1000001, 0])
    yield from each(("audit", "rotate_size"), ["4096", "4095", "4K", "3K", "4k", "1M", "64M",
                                               "1T", "10000", "0", "4097", "5000", "0004K",
                                               "1.5M", 4096, ""])
    yield from each(("profiles",), [{}])
    for f in ("default_max", "on_error", "override_max"):
        yield from each(("assess", f), ["LOW", "BLOCKED", "medium", "NONE", ""])
    yield from each(("assess", "assessors"), [[], ["secrets"], ["semgrep"], ["x"] * 5])
    yield from each(("assess", "assessors", 0), ["danger", "bandit", "Secrets"])
    yield from each(("assess", "user"), ["nobody", "root", "alice", ""] + USERS)
    yield from each(("assess", "limits", "cpu"), [1, 3600, 3601, 0])
    yield from each(("assess", "limits", "pids"), [1, 4096, 4097, 0])
    yield from each(("assess", "external", "bandit", "levels"), [{}, {"CRITICAL": "HIGH"}])
    yield from each(("assess", "external", "shellcheck", "levels", "style"), ["HIGH", "high"])
    yield from each(("assess",), [{}, {"zz": 1}])
    yield from each(("assess", "levels"), [{}, {"jwt": "HIGH", "rm-rf-home": "LOW"},
                                           {"jwt": "high"}, {"nosuch-rule": "LOW"}, {"jwt": 1}])
    for u in USERS:
        m = copy.deepcopy(base)
        m["profiles"][u] = {"defaults": {"wall": 1}, "max": {"wall": 1}}
        yield "profiles", "profile name %s" % json.dumps(u), m
    yield from each(("profiles", "trusted", "defaults"), [{}, {"wall": 1}, {"memory": "1G"}])
    yield from each(("profiles", "trusted", "max"), [{}, {"output": "1G"}])
    yield from each(("profiles", "trusted", "defaults", "memory"), ["1G", "0", "x", 1, 0])
    shared = copy.deepcopy(base)
    shared["profiles"]["shared"] = {"defaults": {"wall": 60, "memory": "25%", "cpu": "50%"},
                                    "max": {"wall": 600, "memory": "1G", "cpu": "2"}}
    yield "profiles", "shares of the host in defaults", shared
    for v in ["1%", "100%", "0%", "101%", "2.5%", "%", "25 %", "025%"]:
        yield ("profiles.shared.defaults.memory", json.dumps(v),
               set_at(shared, ("profiles", "shared", "defaults", "memory"), v))
    yield from each(("profiles", "trusted", "max", "cpu"), ["50%"])


# Known gaps: rules no JSON Schema can state (an order between two fields, a
# date that does not exist, arithmetic over several rules, a name that must
# be a key elsewhere).  For each, mutations that must be accepted by the
# schema and refused by leasexec.  calyx-lease(5) and calyx-policy(5) list
# the same rules under VALIDATION.
GAP_LEASE = {
    ("expires_at", json.dumps("2030-01-01T00:00:00Z")): "expires_at must be after not_before",
    ("not_before", json.dumps("2029-12-31T23:00:00Z")): "not_before must not be before issued_at",
    ("issued_at", json.dumps("2030-02-30T00:00:00Z")): "the date must exist",
    ("issuer", json.dumps("ed25519:" + "0" * 16)): "the issuer must be among the counted signers",
    ("commands.1.args", json.dumps(["**", "x"])): "\"**\" only as the last pattern",
    ("network.allow.0", json.dumps("10.1.2.3/8:443")): "host bits must be zero",
    ("network.allow.0", json.dumps("10.1.2.3:443-80")): "a port range must not run backwards",
    ("network.allow.0", json.dumps("0.0.0.0/0:1-65535")): "at most 4096 ports over all rules",
}
GAP_POLICY = {
    ("default_profile", json.dumps("nosuch")): "default_profile must name a profile",
    ("profiles.unknown", "removed"): "default_profile must name a profile",
    ("profiles.trusted.defaults", json.dumps({"wall": 999999})): "defaults must not exceed max",
}


def _limit_value(x):
    """Enough of the limit syntax to compare a profile default with 1."""
    if isinstance(x, int):
        return x
    units = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40, "s": 1, "m": 60, "h": 3600, "d": 86400}
    if x[-1:] in units:
        return float(x[:-1]) * units[x[-1]]
    return float(x)


def policy_gap(field, desc, m):
    """Structural mutations of a profile's max that fall below its defaults."""
    parts = field.split(".")
    if len(parts) == 4 and parts[0] == "profiles" and parts[2] == "max" and desc == "as 1":
        d = BASE_POLICY["profiles"][parts[1]].get("defaults", {}).get(parts[3])
        if d is not None and _limit_value(d) > 1:
            return "defaults must not exceed max"
    return GAP_POLICY.get((field, desc))


def differential(kind, base, mutations, gaps, gapf, check_arg, v):
    muts = list(mutations)
    with tempfile.NamedTemporaryFile("w", suffix=".lines", delete=False) as f:
        for _, _, m in muts:
            f.write(json.dumps(m, ensure_ascii=True) + "\n")
        name = f.name
    try:
        rc, out, err = run_check([check_arg, name])
    finally:
        os.unlink(name)
    verdicts = out.splitlines()
    if rc != 0 or len(verdicts) != len(muts):
        tap(False, "%s: docs-check read every mutation" % kind, "exit %d, %d verdicts for %d"
            % (rc, len(verdicts), len(muts)), err)
        return
    by_field = {}
    used = set()
    ngaps = 0
    for (field, desc, m), c in zip(muts, verdicts):
        s_ok, why = schema_ok(v, m)
        c_ok = c == "ok"
        gap = gapf(field, desc, m)
        r = by_field.setdefault(field, [0, []])
        r[0] += 1
        if gap:
            ngaps += 1
            used.add((field, desc))
            if not (s_ok and not c_ok):
                r[1].append("known gap (%s) no longer holds: %s %s -> schema %s, leasexec %s"
                            % (gap, field, desc, "accepts" if s_ok else "refuses", c))
        elif s_ok != c_ok:
            r[1].append("%s %s: schema %s (%s), leasexec: %s"
                        % (field, desc[:80], "accepts" if s_ok else "refuses", why or "-", c))
    for field in sorted(by_field):
        n, bad = by_field[field]
        tap(not bad, "%s %s: schema and leasexec agree on %d mutations" % (kind, field, n), *bad[:8])
    unused = set(gaps) - used
    tap(not unused, "%s: %d mutations hit a documented gap, and every gap was exercised"
        % (kind, ngaps), *sorted(map(str, unused)))
    base_ok = schema_ok(v, base)
    tap(base_ok[0], "%s: the base document is valid for the schema" % kind, base_ok[1])


def lease_mutations(base):
    yield from structural(base)
    yield from targeted_lease(base)
    for (field, desc) in GAP_LEASE:
        path = tuple(int(p) if p.isdigit() else p for p in field.split("."))
        yield field, desc, set_at(base, path, json.loads(desc))


def policy_mutations(base):
    yield from structural(base)
    yield from targeted_policy(base)
    for (field, desc) in GAP_POLICY:
        if desc != "removed":
            yield field, desc, set_at(base, tuple(field.split(".")), json.loads(desc))


differential("lease", BASE_LEASE, lease_mutations(BASE_LEASE), GAP_LEASE,
             lambda f, d, m: GAP_LEASE.get((f, d)), "lease-lines", BODY_V)
differential("policy", BASE_POLICY, policy_mutations(BASE_POLICY), GAP_POLICY, policy_gap,
             "policy-lines", POLICY_V)

print("1..%d" % N)
sys.exit(1 if FAILED else 0)
