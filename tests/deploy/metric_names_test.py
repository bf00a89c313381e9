"""Every expression of the Grafana dashboard and of the alert rules names only series locksmith
exports (read from src/runtime/metrics.cc), and the dashboard is well formed enough to import.

  /usr/bin/python3 tests/deploy/metric_names_test.py [--promtool PATH]

With --promtool, every dashboard expression (Grafana's variables replaced by plain values) is also
parsed by `promtool check rules`, so a PromQL syntax error fails here, not in Grafana.
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

import deploy_files as df

PROMTOOL = None


def _substitute_grafana_variables(expr):
    for var, value in (("$__rate_interval", "5m"), ("$__range", "1h"), ("$__interval", "1m"),
                       ("$job", ".*"), ("$instance", ".*"), ("$secret", ".*")):
        expr = expr.replace(var, value)
    return expr


class ExportedNamesTest(unittest.TestCase):
    def test_reads_the_names_from_the_source(self):
        names = df.exported_metric_names()
        for expected in ("secrets_manager_cache_hits_total", "secrets_manager_secret_age_days",
                         "secrets_manager_backend_latency_seconds_bucket",
                         "secrets_manager_backend_latency_seconds_count",
                         "secrets_manager_access_total"):
            self.assertIn(expected, names)
        # The histogram itself is never a series; only its derived ones are.
        self.assertNotIn("secrets_manager_backend_latency_seconds", names)

    def test_a_renamed_metric_is_reported(self):
        source = df.read(df.METRICS_CC).replace("secrets_manager_cache_hits_total",
                                                "secrets_manager_cache_hit_count")
        renamed = df.exported_metric_names(source)
        expr = "rate(secrets_manager_cache_hits_total[5m])"
        self.assertEqual(df.unknown_metrics(expr, renamed), ["secrets_manager_cache_hits_total"])
        self.assertEqual(df.unknown_metrics(expr, df.exported_metric_names()), [])

    def test_a_source_without_names_is_an_error_not_an_empty_set(self):
        with self.assertRaises(AssertionError):
            df.exported_metric_names("// nothing here")


class DashboardTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dashboard = df.load_dashboard()
        cls.exported = df.exported_metric_names()
        cls.exprs = df.dashboard_expressions(cls.dashboard)

    def test_every_expression_names_only_exported_metrics(self):
        self.assertGreater(len(self.exprs), 15)
        for where, expr in self.exprs:
            with self.subTest(where=where):
                self.assertTrue(df.metric_names_in(expr), "%s names no locksmith metric" % where)
                self.assertEqual(df.unknown_metrics(expr, self.exported), [],
                                 "%s: %s" % (where, expr))

    def test_every_exported_metric_is_on_the_dashboard(self):
        shown = set()
        for _, expr in self.exprs:
            shown |= df.metric_names_in(expr)
        missing = sorted(n for n in self.exported - shown if not n.endswith(("_sum", "_count")))
        self.assertEqual(missing, [])

    def test_datasource_job_and_instance_variables(self):
        variables = {v["name"]: v for v in self.dashboard["templating"]["list"]}
        self.assertEqual(variables["datasource"]["type"], "datasource")
        self.assertEqual(variables["datasource"]["query"], "prometheus")
        for name in ("job", "instance"):
            self.assertEqual(variables[name]["type"], "query")
            self.assertTrue(variables[name]["includeAll"])
        self.assertGreaterEqual(self.dashboard["schemaVersion"], 36)
        self.assertIsNone(self.dashboard["id"])
        self.assertTrue(self.dashboard["uid"])

    def test_panels_use_the_datasource_variable_and_the_job_instance_filters(self):
        ids = set()
        for panel in self.dashboard["panels"]:
            self.assertNotIn(panel["id"], ids, "duplicate panel id")
            ids.add(panel["id"])
            if panel["type"] == "row":
                continue
            with self.subTest(panel=panel["title"]):
                self.assertEqual(panel["datasource"]["uid"], "${datasource}")
                self.assertTrue(panel.get("description"))
                for target in panel["targets"]:
                    self.assertEqual(target["datasource"]["uid"], "${datasource}")
                    self.assertIn('job=~"$job"', target["expr"])
                    self.assertIn('instance=~"$instance"', target["expr"])

    def test_panels_do_not_overlap(self):
        cells = {}
        for panel in self.dashboard["panels"]:
            g = panel["gridPos"]
            self.assertLessEqual(g["x"] + g["w"], 24, panel["title"])
            for x in range(g["x"], g["x"] + g["w"]):
                for y in range(g["y"], g["y"] + g["h"]):
                    self.assertNotIn((x, y), cells, "%s overlaps %s" % (panel["title"],
                                                                       cells.get((x, y))))
                    cells[(x, y)] = panel["title"]

    def test_every_expression_parses(self):
        if PROMTOOL is None:
            self.skipTest("run with --promtool to parse the expressions")
        lines = ["groups:", "  - name: dashboard", "    rules:"]
        for i, (_, expr) in enumerate(self.exprs):
            if expr.startswith("label_values("):
                continue
            lines.append("      - record: dashboard:expr_%d" % i)
            lines.append("        expr: %s" % json.dumps(_substitute_grafana_variables(expr)))
        with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
            f.write("\n".join(lines) + "\n")
        try:
            run = subprocess.run([PROMTOOL, "check", "rules", f.name], capture_output=True,
                                 text=True, check=False)
        finally:
            os.unlink(f.name)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)


class AlertExpressionsTest(unittest.TestCase):
    def test_every_alert_names_only_exported_metrics(self):
        exported = df.exported_metric_names()
        rules = df.load_alert_rules()
        self.assertEqual(len(rules), 6)
        for rule in rules:
            with self.subTest(alert=rule["alert"]):
                self.assertTrue(df.metric_names_in(rule["expr"]))
                self.assertEqual(df.unknown_metrics(rule["expr"], exported), [])


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--promtool":
        PROMTOOL = sys.argv[2]
        del sys.argv[1:3]
        if not os.access(PROMTOOL, os.X_OK):
            sys.exit("promtool not found (%s): install Debian prometheus (./dev.sh test does)"
                     % PROMTOOL)
    unittest.main(verbosity=2)
