"""The example configuration files set only variables locksmith reads, and no secret.

  /usr/bin/python3 tests/deploy/env_example_test.py

.env.example (the repository root) and deploy/systemd/locksmith-agent.env.example: every
`NAME=value` line, commented out or not, must name a variable of src/config/config_readers.cc
(the agent's file may also use the variables `locksmith agent` reads, src/cli/agent_command.cc),
so neither file can drift from what locksmith understands. The guide's critical secrets
(StandardSecrets(), src/core/naming.cc) appear only commented out, without a value, and no
secret-bearing configuration variable (VAULT_TOKEN, LOCKSMITH_MASTER_KEY, ...) is set at all.
"""

import os
import re
import unittest

import deploy_files as df

DOTENV_EXAMPLE = os.path.join(df.REPO, ".env.example")
AGENT_ENV_EXAMPLE = os.path.join(df.REPO, "deploy", "systemd", "locksmith-agent.env.example")
CONFIG_READERS = os.path.join(df.REPO, "src", "config", "config_readers.cc")
AGENT_COMMAND = os.path.join(df.REPO, "src", "cli", "agent_command.cc")
SECRET_ENV = os.path.join(df.REPO, "src", "core", "secret_env.cc")
NAMING = os.path.join(df.REPO, "src", "core", "naming.cc")

_ASSIGNMENT = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")


def config_variables():
    names = set(re.findall(r'"([A-Z][A-Z0-9_]+)"', df.read(CONFIG_READERS)))
    if "SECRETS_BACKEND" not in names:
        raise AssertionError("no configuration variables found in " + CONFIG_READERS)
    return names


def agent_variables():
    return set(re.findall(r'env\("([A-Z][A-Z0-9_]+)"\)', df.read(AGENT_COMMAND)))


def secret_bearing_variables():
    names = set(re.findall(r'r\.Secret\("([A-Z][A-Z0-9_]+)"\)', df.read(CONFIG_READERS)))
    block = re.search(r"kSecretBearingVars = \{(.*?)\};", df.read(SECRET_ENV), re.S)
    names |= set(re.findall(r'"([A-Z][A-Z0-9_]+)"', block.group(1)))
    return names


def standard_secrets():
    """{logical name: [.env variable, aliases...]} from StandardSecrets()."""
    block = re.search(r"StandardSecrets\(\) \{(.*?)\n\}", df.read(NAMING), re.S).group(1)
    out = {}
    for name, variables in re.findall(r'\{"([a-z0-9-]+)",\s*"[^"]*",\s*\{([^}]*)\}\}', block):
        out[name] = re.findall(r'"([A-Z0-9_]+)"', variables)
    if "jwt-secret" not in out:
        raise AssertionError("StandardSecrets() not found in " + NAMING)
    return out


def assignments(text):
    """(commented, name, value, line) for every NAME=value line."""
    out = []
    for line in text.splitlines():
        m = _ASSIGNMENT.match(line.strip())
        if m:
            out.append((m.group(1) is not None, m.group(2), m.group(3), line))
    return out


def problems(text, known):
    """What is wrong with an example file, one string per problem."""
    found = []
    secrets = {v for variables in standard_secrets().values() for v in variables}
    secret_config = secret_bearing_variables()
    for commented, name, value, line in assignments(text):
        if name in secrets:
            if not commented:
                found.append("%s is set: it belongs in the secrets manager" % name)
            elif value.split("->")[0].strip():
                found.append("%s has a value, even commented out" % name)
            continue
        if name in secret_config:
            found.append("%s is secret-bearing and must not appear (use its _FILE form)" % name)
        elif name not in known:
            found.append("%s is not a variable locksmith reads: %r" % (name, line))
    return found


class DotenvExampleTest(unittest.TestCase):
    def setUp(self):
        self.text = df.read(DOTENV_EXAMPLE)

    def test_sets_only_variables_locksmith_reads_and_no_secret(self):
        self.assertEqual(problems(self.text, config_variables()), [])

    def test_sets_the_guide_configuration(self):
        set_names = {name for commented, name, _, _ in assignments(self.text) if not commented}
        for name in ("SECRETS_BACKEND", "ENABLE_SECRETS_MANAGER", "APP_ENV", "AWS_REGION",
                     "AWS_SECRETS_PREFIX", "LOCKSMITH_CACHE_TTL"):
            self.assertIn(name, set_names)
        mentioned = {name for _, name, _, _ in assignments(self.text)}
        for name in ("VAULT_ADDR", "VAULT_MOUNT_PATH", "VAULT_ROLE_ID"):
            self.assertIn(name, mentioned)

    def test_every_critical_secret_is_listed_as_moved(self):
        commented = {name: line for c, name, _, line in assignments(self.text) if c}
        for logical, variables in standard_secrets().items():
            with self.subTest(secret=logical):
                # Under the guide's name or one of its aliases (DB_PASSWORD is database-password).
                listed = [commented[v] for v in variables if v in commented]
                self.assertEqual(len(listed), 1, variables)
                self.assertIn(logical, listed[0])
        self.assertIn("locksmith import", self.text)


class AgentEnvExampleTest(unittest.TestCase):
    def test_sets_only_variables_locksmith_reads_and_no_secret(self):
        text = df.read(AGENT_ENV_EXAMPLE)
        self.assertEqual(problems(text, config_variables() | agent_variables()), [])
        self.assertIn("LOCKSMITH_AGENT_LISTEN", agent_variables())


class CheckerTest(unittest.TestCase):
    """The checks themselves: each kind of mistake is reported."""

    def test_an_unknown_variable_is_reported(self):
        self.assertEqual(len(problems("SECRETS_BACKEN=aws\n", config_variables())), 1)
        self.assertEqual(len(problems("# LOCKSMITH_CACHE_TIME=5m\n", config_variables())), 1)

    def test_a_critical_secret_set_or_with_a_value_is_reported(self):
        self.assertEqual(len(problems("JWT_SECRET=planted-value\n", config_variables())), 1)
        self.assertEqual(len(problems("DB_PASSWORD=\n", config_variables())), 1)
        self.assertEqual(len(problems("# DB_PASSWORD=planted-value\n", config_variables())), 1)
        self.assertEqual(problems("# DB_PASSWORD=   -> in the secrets manager as x\n",
                                  config_variables()), [])

    def test_a_secret_bearing_configuration_variable_is_reported(self):
        for name in ("VAULT_TOKEN", "VAULT_SECRET_ID", "LOCKSMITH_MASTER_KEY",
                     "AWS_SECRET_ACCESS_KEY"):
            with self.subTest(name=name):
                self.assertEqual(len(problems("# %s=x\n" % name, config_variables())), 1)
        self.assertEqual(problems("VAULT_SECRET_ID_FILE=/run/secrets/id\n", config_variables()),
                         [])

    def test_the_names_come_from_the_source(self):
        self.assertIn("LOCKSMITH_CACHE_TTL", config_variables())
        self.assertIn("VAULT_SECRET_ID", secret_bearing_variables())
        self.assertEqual(standard_secrets()["database-password"][1], "DB_PASSWORD")


if __name__ == "__main__":
    unittest.main(verbosity=2)
