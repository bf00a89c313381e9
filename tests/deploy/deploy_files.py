"""Readers shared by the tests of deploy/ (standard library only, like every test script here).

What locksmith exports is read from its source, so a renamed metric breaks the dashboard and
alert tests instead of leaving a panel or an alert silently empty.
"""

import json
import os
import re

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

ALERTS = os.path.join(REPO, "deploy", "prometheus", "locksmith-alerts.yml")
DASHBOARD = os.path.join(REPO, "deploy", "grafana", "locksmith-dashboard.json")
METRICS_CC = os.path.join(REPO, "src", "runtime", "metrics.cc")
OPERATIONS_MD = os.path.join(REPO, "docs", "operations.md")

# Counted on every Get/GetVersion (issue 13, item 1). Listed here as well as read from the source
# so the dashboard and alerts are checked whichever file of src/runtime ends up defining it.
ACCESS_METRIC = "secrets_manager_access_total"
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")

_METRIC_TOKEN = re.compile(r"\bsecrets_manager_[A-Za-z0-9_]*")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def exported_metric_names(source_text=None):
    """Every series name locksmith can export: the names in metrics.cc (histograms with the
    _bucket/_sum/_count series Prometheus derives from them) plus the access counter."""
    text = read(METRICS_CC) if source_text is None else source_text
    names = set(re.findall(r'"(secrets_manager_[a-z0-9_]+)"', text))
    names.add(ACCESS_METRIC)
    histograms = re.findall(r'BuildHistogram\(\)\s*\.Name\("(secrets_manager_[a-z0-9_]+)"\)', text)
    if not names or not histograms:
        raise AssertionError("no metric names found in " + METRICS_CC + ": has the file moved?")
    for h in histograms:
        names.discard(h)  # a histogram is only ever queried through its derived series
        names.update(h + s for s in HISTOGRAM_SUFFIXES)
    return names


def metric_names_in(expr):
    """The secrets_manager_* series an expression (PromQL) names."""
    return set(_METRIC_TOKEN.findall(expr))


def unknown_metrics(expr, exported):
    return sorted(metric_names_in(expr) - exported)


def dashboard_expressions(dashboard):
    """(where, expression) for every panel target (rows' nested panels too) and variable query."""
    out = []

    def walk(panels):
        for panel in panels:
            for target in panel.get("targets", []):
                if "expr" in target:
                    out.append(("panel '%s' %s" % (panel.get("title"), target.get("refId")),
                                target["expr"]))
            walk(panel.get("panels", []))

    walk(dashboard.get("panels", []))
    for var in dashboard.get("templating", {}).get("list", []):
        if var.get("type") == "query":
            query = var.get("query")
            query = query.get("query") if isinstance(query, dict) else query
            out.append(("variable '%s'" % var["name"], query))
    return out


def load_dashboard():
    with open(DASHBOARD, encoding="utf-8") as f:
        return json.load(f)


def _indent(line):
    return len(line) - len(line.lstrip(" "))


def _unquote(value):
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        inner = value[1:-1]
        return inner.replace('\\"', '"') if value[0] == '"' else inner.replace("''", "'")
    return value


def _block(lines, i, parent_indent, style):
    """A `|` or `>-` block scalar starting at lines[i]; returns (text, next index)."""
    body = []
    while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > parent_indent):
        body.append(lines[i])
        i += 1
    while body and not body[-1].strip():
        body.pop()
    if not body:
        return "", i
    cut = min(_indent(line) for line in body if line.strip())
    body = [line[cut:] for line in body]
    if style.startswith(">"):
        return " ".join(line.strip() for line in body), i
    return "\n".join(body) + ("" if style.endswith("-") else "\n"), i


def parse_alert_rules(text):
    """The rules of a Prometheus rule file written in the subset locksmith-alerts.yml uses
    (block mappings, plain or quoted scalars, `|` and `>-` blocks). Anything else under a rule is
    an error rather than a guess, so the tests never pass over a rule they did not read."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    rules = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^(\s*)- alert:\s*(\S+)\s*$", line)
        if not m:
            i += 1
            continue
        rule_indent = len(m.group(1)) + 2
        rule = {"alert": m.group(2), "labels": {}, "annotations": {}}
        i += 1
        while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) >= rule_indent):
            line = lines[i]
            if not line.strip():
                i += 1
                continue
            if _indent(line) != rule_indent:
                raise ValueError("unexpected indentation in rule %s: %r" % (rule["alert"], line))
            key, _, value = line.strip().partition(":")
            value = value.strip()
            i += 1
            if key in ("labels", "annotations"):
                if value:
                    raise ValueError("inline %s in rule %s" % (key, rule["alert"]))
                while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > rule_indent):
                    if not lines[i].strip():
                        i += 1
                        continue
                    entry_indent = _indent(lines[i])
                    k, _, v = lines[i].strip().partition(":")
                    v = v.strip()
                    i += 1
                    if v in ("|", "|-", ">", ">-"):
                        v, i = _block(lines, i, entry_indent, v)
                    else:
                        v = _unquote(v)
                    rule[key][k] = v
            elif key in ("expr", "for", "keep_firing_for"):
                if value in ("|", "|-", ">", ">-"):
                    value, i = _block(lines, i, rule_indent, value)
                rule[key] = _unquote(value)
            else:
                raise ValueError("unknown key %r in rule %s" % (key, rule["alert"]))
        rules.append(rule)
    return rules


def load_alert_rules():
    return parse_alert_rules(read(ALERTS))


def markdown_anchors(text):
    """GitHub's anchors for the headings of a Markdown text (lower case, punctuation dropped,
    spaces to hyphens)."""
    anchors = set()
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        m = None if in_code else re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m:
            title = re.sub(r"[`*]", "", m.group(1)).strip().lower()
            anchors.add(re.sub(r"\s", "-", re.sub(r"[^\w\- ]", "", title)))
    return anchors
