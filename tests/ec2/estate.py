"""Creates a small VPC estate through an EC2 API (moto's server in the tests) and prints the
identifiers and addresses it got, as JSON on standard output.

  estate.py --endpoint URL --region REGION --key-id ID --secret SECRET

The estate: a VPC (10.20.0.0/16) with two subnets in two zones, an internet gateway, a public
route table (0.0.0.0/0 to the gateway), a NAT gateway in the first subnet, a private route table
(0.0.0.0/0 to the NAT gateway) for the second, a gateway endpoint for S3 on that table, an
interface endpoint in the second subnet and an instance's interface there. Printed besides:
the account, and a CIDR of the region's S3 prefix list.
"""

import argparse
import json
import sys

import boto3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--region", required=True)
    ap.add_argument("--key-id", required=True)
    ap.add_argument("--secret", required=True)
    args = ap.parse_args()
    def client(service):
        return boto3.client(
            service,
            endpoint_url=args.endpoint,
            region_name=args.region,
            aws_access_key_id=args.key_id,
            aws_secret_access_key=args.secret,
        )

    ec2 = client("ec2")
    r = args.region
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24", AvailabilityZone=f"{r}a")
    private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.2.0/24", AvailabilityZone=f"{r}b")
    public, private = public["Subnet"]["SubnetId"], private["Subnet"]["SubnetId"]

    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public_rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=public_rtb, SubnetId=public)

    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    # An elastic IP associated with nothing: describe-addresses lists it.
    spare = ec2.allocate_address(Domain="vpc")
    nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=eip)["NatGateway"]
    private_rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(
        RouteTableId=private_rtb, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat["NatGatewayId"]
    )
    ec2.associate_route_table(RouteTableId=private_rtb, SubnetId=private)

    s3 = ec2.create_vpc_endpoint(
        VpcId=vpc,
        VpcEndpointType="Gateway",
        ServiceName=f"com.amazonaws.{r}.s3",
        RouteTableIds=[private_rtb],
    )["VpcEndpoint"]
    sqs = ec2.create_vpc_endpoint(
        VpcId=vpc,
        VpcEndpointType="Interface",
        ServiceName=f"com.amazonaws.{r}.sqs",
        SubnetIds=[private],
    )["VpcEndpoint"]
    instance = ec2.create_network_interface(SubnetId=private, PrivateIpAddress="10.20.2.10")
    instance = instance["NetworkInterface"]["NetworkInterfaceId"]

    nats = ec2.describe_nat_gateways(NatGatewayIds=[nat["NatGatewayId"]])["NatGateways"]
    endpoints = ec2.describe_vpc_endpoints(VpcEndpointIds=[sqs["VpcEndpointId"]])["VpcEndpoints"]
    s3_list = [
        p["PrefixListId"]
        for p in ec2.describe_managed_prefix_lists()["PrefixLists"]
        if p["PrefixListName"] == f"com.amazonaws.{r}.s3"
    ][0]
    s3_cidr = ec2.get_managed_prefix_list_entries(PrefixListId=s3_list)["Entries"][0]["Cidr"]
    enis = {
        e["NetworkInterfaceId"]: e["PrivateIpAddress"]
        for e in ec2.describe_network_interfaces()["NetworkInterfaces"]
    }
    out = {
        "account": client("sts").get_caller_identity()["Account"],
        "vpc": vpc,
        "subnets": [public, private],
        "nat_gateway": nat["NatGatewayId"],
        "nat_enis": [a.get("NetworkInterfaceId") for a in nats[0]["NatGatewayAddresses"]],
        "s3_endpoint": s3["VpcEndpointId"],
        "s3_cidr": s3_cidr,
        "sqs_endpoint": sqs["VpcEndpointId"],
        "sqs_enis": endpoints[0].get("NetworkInterfaceIds", []),
        "instance_eni": instance,
        "spare_eip": {"allocation": spare["AllocationId"], "ip": spare["PublicIp"]},
        "eni_addresses": enis,
    }
    json.dump(out, sys.stdout, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
