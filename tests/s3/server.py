"""A real S3-compatible server (moto's) on 127.0.0.1 for vpcflow's S3 tests.

Starts the server, creates the test bucket with its objects and two IAM users, then turns on
moto's authentication and authorization (every request must be signed by a known key, and
IAM policies apply), writes the connection facts as JSON to --state and serves until its
parent process ends (or it is killed). Each request is logged to --log, one line each, so
tests can count the LIST requests a command made.

Objects (bucket vpcflow-test):
  sample/...   the repository's sample-logs/ tree, as is
  years/...    a two-account, two-year S3 layout, one one-record object per listed day
  mixed/       ok.log (readable) and denied.log (the reader may not GET it)
"""

import argparse
import calendar
import json
import logging
import os
import sys
import time
import urllib.request

import boto3
from moto.server import ThreadedMotoServer

BUCKET = "vpcflow-test"
REGION = "us-east-1"
ACCOUNTS = ["111122223333", "444455556666"]
YEARS = [2023, 2024]
DAYS = [1, 9, 10, 11, 20]


def record(account, when):
    start = int(when)
    return (
        f"2 {account} eni-0a1b2c3d4e5f60718 10.0.1.5 10.0.2.6 443 49152 6 10 8400 "
        f"{start} {start + 60} ACCEPT OK\n"
    )


def main():
    parent = os.getppid()
    ap = argparse.ArgumentParser()
    ap.add_argument("--state", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--samples", required=True)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()

    log = logging.getLogger("werkzeug")
    log.setLevel(logging.INFO)
    log.propagate = False
    handler = logging.FileHandler(args.log)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"

    def client(service, key_id="setup", secret="setup"):
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
        )

    iam = client("iam")
    users = {}
    policies = {
        "admin": {"Effect": "Allow", "Action": "*", "Resource": "*"},
        "reader": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/mixed/denied.log",
            },
        ],
    }
    for name, statement in policies.items():
        iam.create_user(UserName=name)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        iam.put_user_policy(
            UserName=name,
            PolicyName=f"{name}-policy",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statement}),
        )
        users[name] = {"key_id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}

    s3 = client("s3")
    s3.create_bucket(Bucket=BUCKET)
    for root, _, files in os.walk(args.samples):
        for f in sorted(files):
            path = os.path.join(root, f)
            key = "sample/" + os.path.relpath(path, args.samples).replace(os.sep, "/")
            with open(path, "rb") as body:
                s3.put_object(Bucket=BUCKET, Key=key, Body=body.read())
    for account in ACCOUNTS:
        for year in YEARS:
            for month in range(1, 13):
                for day in DAYS:
                    t = calendar.timegm((year, month, day, 12, 0, 0))
                    stamp = f"{year}{month:02}{day:02}T1200Z"
                    key = (
                        f"years/AWSLogs/{account}/vpcflowlogs/{REGION}/{year}/{month:02}/"
                        f"{day:02}/{account}_vpcflowlogs_{REGION}_fl-0123456789abcdef0_"
                        f"{stamp}_0a1b2c3d.log"
                    )
                    s3.put_object(Bucket=BUCKET, Key=key, Body=record(account, t).encode())
    ok = "".join(record(ACCOUNTS[0], 1717243200 + i) for i in range(3))
    s3.put_object(Bucket=BUCKET, Key="mixed/ok.log", Body=ok.encode())
    s3.put_object(Bucket=BUCKET, Key="mixed/denied.log", Body=ok.encode())

    # From here on every request must be signed with a key of an IAM user above.
    req = urllib.request.Request(
        f"{endpoint}/moto-api/reset-auth",
        data=b"0",
        method="POST",
        headers={"Content-Type": "text/plain"},
    )
    urllib.request.urlopen(req).read()

    state = {"endpoint": endpoint, "bucket": BUCKET, "region": REGION, "log": args.log, **users}
    tmp = args.state + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f)
    os.replace(tmp, args.state)
    print(f"moto S3 on {endpoint}", flush=True)

    while os.getppid() == parent:
        time.sleep(0.5)
    server.stop()


if __name__ == "__main__":
    sys.exit(main())
