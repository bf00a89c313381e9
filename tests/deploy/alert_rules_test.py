"""deploy/prometheus/locksmith-alerts.yml: the six alerts of issue 13 by name, each with a
severity, a `for:`, a summary and description that print nothing but logical names and the
measured value, and a runbook link to a section that exists in docs/operations.md.

  /usr/bin/python3 tests/deploy/alert_rules_test.py

(Thresholds and timing are tested by promtool: locksmith-alerts.test.yml.)
"""

import re
import unittest

import deploy_files as df

ALERT_NAMES = [
    "SecretsManagerAccessFailureRateHigh",
    "SecretsManagerCacheMissRateHigh",
    "SecretsManagerSecretAgeHigh",
    "SecretsManagerBackendLatencyHigh",
    "SecretsManagerCircuitBreakerOpen",
    "SecretsManagerRefreshFailing",
]
# Labels locksmith puts on its series (logical names only) and the usual target labels.
ALLOWED_TEMPLATE_FIELDS = {"$labels.secret", "$labels.backend", "$labels.operation",
                           "$labels.key", "$labels.instance", "$labels.job", "$value"}


def template_fields(text):
    """The variables a Go template in an annotation reads ($labels.x, $value, ...)."""
    fields = set()
    for action in re.findall(r"\{\{(.*?)\}\}", text, re.S):
        fields |= set(re.findall(r"\$[A-Za-z_][A-Za-z0-9_.]*", action))
    return fields


class AlertRulesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rules = df.load_alert_rules()
        cls.anchors = df.markdown_anchors(df.read(df.OPERATIONS_MD))

    def test_the_six_alerts_of_the_issue(self):
        self.assertEqual([r["alert"] for r in self.rules], ALERT_NAMES)

    def test_each_alert_is_complete(self):
        for rule in self.rules:
            with self.subTest(alert=rule["alert"]):
                self.assertTrue(rule["expr"].strip())
                self.assertRegex(rule.get("for", ""), r"^\d+[smh]$")
                self.assertIn(rule["labels"].get("severity"), ("critical", "warning"))
                self.assertEqual(set(rule["annotations"]), {"summary", "description",
                                                            "runbook_url"})

    def test_runbook_links_reach_a_section_of_operations_md(self):
        for rule in self.rules:
            with self.subTest(alert=rule["alert"]):
                url = rule["annotations"]["runbook_url"]
                # Relative to the repository, or under the base docs/operations.md says to set.
                self.assertTrue(url.endswith("docs/operations.md#" + rule["alert"].lower()), url)
                self.assertIn(url.partition("#")[2], self.anchors)

    def test_annotations_print_only_logical_names_and_the_value(self):
        for rule in self.rules:
            for name, text in rule["annotations"].items():
                with self.subTest(alert=rule["alert"], annotation=name):
                    self.assertLessEqual(template_fields(text), ALLOWED_TEMPLATE_FIELDS)


class ReadersTest(unittest.TestCase):
    """The helpers the tests above rely on."""

    def test_template_fields(self):
        self.assertEqual(template_fields('{{ $labels.secret }} {{ $value | printf "%.1f" }}'),
                         {"$labels.secret", "$value"})
        self.assertEqual(template_fields("{{ $externalLabels.x }}"), {"$externalLabels.x"})

    def test_markdown_anchors(self):
        anchors = df.markdown_anchors("# Top\n## The systemd unit\n```\n# not a heading\n```\n"
                                      "### `SecretsManagerFoo`\n")
        self.assertEqual(anchors, {"top", "the-systemd-unit", "secretsmanagerfoo"})

    def test_parser_reads_blocks_and_refuses_unknown_keys(self):
        text = ("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: |\n"
                "          up\n          > 0\n        for: 5m\n        labels:\n"
                "          severity: warning\n        annotations:\n          summary: >-\n"
                "            two\n            lines\n          runbook_url: 'x#a'\n")
        rule = df.parse_alert_rules(text)[0]
        self.assertEqual(rule["expr"], "up\n> 0")
        self.assertEqual(rule["annotations"], {"summary": "two lines", "runbook_url": "x#a"})
        with self.assertRaises(ValueError):
            df.parse_alert_rules(text + "        keep_firing: 5m\n")


if __name__ == "__main__":
    unittest.main(verbosity=2)
