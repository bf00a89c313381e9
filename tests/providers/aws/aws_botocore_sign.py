"""Signs one Secrets Manager request with botocore's SigV4Auth and prints the stages as JSON.

Used by aws_botocore_test.cc to check that locksmith's signer gives the same signatures as
botocore for the same credentials, time and body. Input is one JSON object on argv[1]:
{"access_key", "secret_key", "token" (optional), "region", "time" (epoch seconds), "target",
 "body", "host"}.
"""
import datetime
import json
import sys

import botocore.auth
import botocore.awsrequest
import botocore.credentials


def main():
    args = json.loads(sys.argv[1])
    fixed = datetime.datetime.utcfromtimestamp(args["time"])

    creds = botocore.credentials.Credentials(args["access_key"], args["secret_key"],
                                             args.get("token"))
    request = botocore.awsrequest.AWSRequest(
        method="POST",
        url="https://" + args["host"] + "/",
        data=args["body"].encode("utf-8"),
        headers={
            "X-Amz-Target": args["target"],
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    signer = botocore.auth.SigV4Auth(creds, "secretsmanager", args["region"])
    # SigV4Auth.add_auth with the time fixed: the same steps, botocore's own stages.
    request.context["timestamp"] = fixed.strftime(botocore.auth.SIGV4_TIMESTAMP)
    signer._modify_request_before_signing(request)
    canonical = signer.canonical_request(request)
    string_to_sign = signer.string_to_sign(request, canonical)
    signature = signer.signature(string_to_sign, request)
    signer._inject_signature_to_request(request, signature)
    print(json.dumps({
        "authorization": request.headers["Authorization"],
        "x_amz_date": request.headers["X-Amz-Date"],
        "canonical_request": canonical,
        "string_to_sign": string_to_sign,
    }))


if __name__ == "__main__":
    main()
