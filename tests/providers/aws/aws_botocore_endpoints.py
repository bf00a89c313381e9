"""Prints, as JSON, the endpoints botocore's own rule-set resolver computes for Secrets Manager and
STS over a table of regions x (FIPS, dual-stack), for aws_endpoints_test.cc.

Resolver: Debian python3-botocore's EndpointProvider. Rule sets and partitions: the current
botocore files in tests/data (table "current"), and Debian's installed partitions.json (table
"installed": botocore 1.29, whose ISO partitions do not support dual-stack). STS is resolved with
UseGlobalEndpoint false (sts_regional_endpoints=regional, botocore's default since 1.40).
Output: {"tables": {name: partitions.json}, "cases": [{"table", "service", "region", "fips",
"dual_stack", "url" or "error", "signing_region"}]}.
"""
import json
import os
import sys

import botocore.loaders
from botocore.endpoint_provider import EndpointProvider

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__)))))
DATA = os.path.join(ROOT, "tests", "data")


def load(*parts):
    with open(os.path.join(DATA, *parts), encoding="utf-8") as f:
        return json.load(f)


def main():
    tables = {
        "current": load("aws_endpoints", "partitions.json"),
        "installed": botocore.loaders.Loader().load_data("partitions"),
    }
    rule_sets = {
        "secretsmanager": load("botocore", "secretsmanager", "2017-10-17",
                               "endpoint-rule-set-1.json"),
        "sts": load("aws_endpoints", "sts-endpoint-rule-set-1.json"),
    }
    extra = ["xx-unknown-1", "aws-global", "us-isof-south-1", "eu-isoe-west-1", "mx-central-1"]
    cases = []
    for table_name, table in tables.items():
        regions = []
        for partition in table["partitions"]:
            regions.extend(sorted(partition["regions"]))
        if table_name == "installed":
            regions = ["us-iso-east-1", "us-isob-east-1", "us-gov-west-1", "cn-north-1"]
        for region in regions + (extra if table_name == "current" else []):
            for service, rule_set in rule_sets.items():
                provider = EndpointProvider(rule_set, table)
                for fips in (False, True):
                    for dual_stack in (False, True):
                        params = {"Region": region, "UseFIPS": fips, "UseDualStack": dual_stack}
                        if service == "sts":
                            params["UseGlobalEndpoint"] = False
                        case = {"table": table_name, "service": service, "region": region,
                                "fips": fips, "dual_stack": dual_stack}
                        try:
                            endpoint = provider.resolve_endpoint(**params)
                            case["url"] = endpoint.url
                            schemes = endpoint.properties.get("authSchemes") or [{}]
                            case["signing_region"] = schemes[0].get("signingRegion", region)
                        except Exception as error:  # botocore's EndpointResolutionError
                            case["error"] = str(error).split(": ", 1)[-1]
                        cases.append(case)
    json.dump({"tables": tables, "cases": cases}, sys.stdout)


if __name__ == "__main__":
    main()
