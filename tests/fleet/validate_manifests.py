#!/usr/bin/env python3
"""validate_manifests.py FILE - check bt-fleet's generated manifests against
the parts of the Kubernetes v1 API schema they use (no cluster is reachable
here for `kubectl --dry-run=server`): required fields and their types,
names valid as DNS-1123 labels/subdomains, label values, volume mounts that
name declared volumes, ConfigMap binaryData that is base64 and within the
1 MiB object limit.  Prints "ok" or the first problem, exit 1."""
import base64, json, re, sys

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")
LABEL_KEY = re.compile(r"^([a-z0-9.-]{1,253}/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")


def fail(msg):
    print("invalid: " + msg)
    sys.exit(1)


def need(d, key, typ, where):
    if key not in d:
        fail("%s: missing %s" % (where, key))
    if not isinstance(d[key], typ):
        fail("%s.%s: expected %s" % (where, key, typ.__name__))
    return d[key]


def only(d, allowed, where):
    for k in d:
        if k not in allowed:
            fail("%s: unknown field %s" % (where, k))


def metadata(m, where):
    only(m, {"name", "namespace", "labels", "annotations"}, where)
    if not DNS_SUBDOMAIN.match(need(m, "name", str, where)):
        fail(where + ".name: not a DNS-1123 subdomain")
    if "namespace" in m and not DNS_LABEL.match(m["namespace"]):
        fail(where + ".namespace: not a DNS-1123 label")
    for k, v in m.get("labels", {}).items():
        if not LABEL_KEY.match(k) or not isinstance(v, str) or not LABEL_VALUE.match(v):
            fail("%s.labels: bad label %s=%s" % (where, k, v))


def configmap(o, where):
    only(o, {"apiVersion", "kind", "metadata", "data", "binaryData"}, where)
    size = 0
    for k, v in o.get("binaryData", {}).items():
        try:
            size += len(base64.b64decode(v, validate=True))
        except Exception:
            fail("%s.binaryData.%s: not base64" % (where, k))
    if size > 1024 * 1024:
        fail(where + ": larger than a ConfigMap may be (1 MiB)")


def pod(o, where):
    only(o, {"apiVersion", "kind", "metadata", "spec"}, where)
    s = need(o, "spec", dict, where)
    only(s, {"nodeName", "hostPID", "restartPolicy", "terminationGracePeriodSeconds",
             "containers", "volumes"}, where + ".spec")
    if s.get("restartPolicy") not in ("Always", "OnFailure", "Never"):
        fail(where + ".spec.restartPolicy")
    if not isinstance(s.get("hostPID", False), bool):
        fail(where + ".spec.hostPID: expected bool")
    vols = {}
    for v in s.get("volumes", []):
        name = need(v, "name", str, where + ".volumes[]")
        kinds = [k for k in v if k != "name"]
        if len(kinds) != 1 or kinds[0] not in ("configMap", "hostPath", "emptyDir"):
            fail("%s.volumes.%s: exactly one known source" % (where, name))
        if kinds[0] == "hostPath" and not need(v["hostPath"], "path", str, name).startswith("/"):
            fail("%s.volumes.%s: hostPath must be absolute" % (where, name))
        vols[name] = v
    cs = need(s, "containers", list, where + ".spec")
    if not cs:
        fail(where + ": no containers")
    for c in cs:
        w = where + ".containers." + need(c, "name", str, where)
        only(c, {"name", "image", "command", "args", "env", "securityContext", "volumeMounts"}, w)
        need(c, "image", str, w)
        if not all(isinstance(a, str) for a in need(c, "command", list, w)):
            fail(w + ".command: strings only")
        for e in c.get("env", []):
            need(e, "name", str, w + ".env")
            need(e, "value", str, w + ".env")
        if not isinstance(c.get("securityContext", {}).get("privileged", False), bool):
            fail(w + ".securityContext.privileged: expected bool")
        for m in c.get("volumeMounts", []):
            if need(m, "name", str, w) not in vols:
                fail("%s: mounts undeclared volume %s" % (w, m["name"]))
            if not need(m, "mountPath", str, w).startswith("/"):
                fail(w + ": mountPath must be absolute")


doc = json.load(open(sys.argv[1]))
if doc.get("apiVersion") != "v1" or doc.get("kind") != "List":
    fail("not a v1 List")
for i, o in enumerate(doc["items"]):
    where = "items[%d]" % i
    if o.get("apiVersion") != "v1":
        fail(where + ": apiVersion")
    metadata(need(o, "metadata", dict, where), where + ".metadata")
    {"ConfigMap": configmap, "Pod": pod}.get(o.get("kind"), lambda o, w: fail(w + ": kind"))(o, where)
print("ok")
