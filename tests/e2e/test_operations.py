"""Every IAM operation family through boto3, so each response shape is checked by botocore's
own parser against the service model (a member the encoder dropped shows up here)."""

import json
import urllib.parse

import pytest
from botocore.exceptions import ClientError


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ALLOW_ALL = doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
EC2_TRUST = doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})


def code(call):
    with pytest.raises(ClientError) as error:
        call()
    return error.value.response["Error"]["Code"]


def test_groups_and_membership(iam, name):
    group = iam.create_group(GroupName=name, Path="/ops/")["Group"]
    assert group["GroupId"].startswith("AGPA") and group["Arn"].endswith(f":group/ops/{name}")
    iam.create_user(UserName=name)
    iam.add_user_to_group(GroupName=name, UserName=name)
    got = iam.get_group(GroupName=name)
    assert [u["UserName"] for u in got["Users"]] == [name]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=name)["Groups"]] == [name]
    iam.put_group_policy(GroupName=name, PolicyName="p", PolicyDocument=ALLOW_ALL)
    assert iam.list_group_policies(GroupName=name)["PolicyNames"] == ["p"]
    assert iam.get_group_policy(GroupName=name, PolicyName="p")["PolicyDocument"]["Statement"][0]["Action"] == "s3:GetObject"
    assert code(lambda: iam.delete_group(GroupName=name)) == "DeleteConflict"
    iam.delete_group_policy(GroupName=name, PolicyName="p")
    iam.remove_user_from_group(GroupName=name, UserName=name)
    iam.update_group(GroupName=name, NewGroupName=name + "2")
    iam.delete_group(GroupName=name + "2")
    assert code(lambda: iam.get_group(GroupName=name + "2")) == "NoSuchEntity"


def test_managed_policies_versions_and_attachments(iam, name):
    policy = iam.create_policy(PolicyName=name, PolicyDocument=ALLOW_ALL, Description="d", Tags=[{"Key": "k", "Value": "v"}])["Policy"]
    arn = policy["Arn"]
    assert policy["PolicyId"].startswith("ANPA") and policy["DefaultVersionId"] == "v1"
    iam.create_user(UserName=name)
    iam.attach_user_policy(UserName=name, PolicyArn=arn)
    attached = iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]
    assert attached == [{"PolicyName": name, "PolicyArn": arn}]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    assert [u["UserName"] for u in entities["PolicyUsers"]] == [name]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=ALLOW_ALL, SetAsDefault=True)
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert {v["VersionId"] for v in versions} == {"v1", "v2"}
    document = iam.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]["Document"]
    assert document["Statement"][0]["Resource"] == "*"
    assert code(lambda: iam.delete_policy_version(PolicyArn=arn, VersionId="v2")) == "DeleteConflict"
    iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    assert code(lambda: iam.delete_policy(PolicyArn=arn)) == "DeleteConflict"
    iam.detach_user_policy(UserName=name, PolicyArn=arn)
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "k", "Value": "v"}]
    iam.delete_policy(PolicyArn=arn)
    aws_managed = iam.list_policies(Scope="AWS")["Policies"]
    assert "arn:aws:iam::aws:policy/AdministratorAccess" in [p["Arn"] for p in aws_managed]
    assert code(lambda: iam.create_policy(PolicyName=name + "x", PolicyDocument="{not json")) == "MalformedPolicyDocument"


def test_roles_instance_profiles_and_tags(iam, name):
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=EC2_TRUST, Description="app", MaxSessionDuration=7200)["Role"]
    assert role["RoleId"].startswith("AROA")
    got = iam.get_role(RoleName=name)["Role"]
    assert got["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert got["MaxSessionDuration"] == 7200 and got["Description"] == "app"
    iam.update_role(RoleName=name, Description="new", MaxSessionDuration=3600)
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=EC2_TRUST)
    iam.tag_role(RoleName=name, Tags=[{"Key": "team", "Value": "blue"}])
    assert iam.list_role_tags(RoleName=name)["Tags"] == [{"Key": "team", "Value": "blue"}]
    iam.untag_role(RoleName=name, TagKeys=["team"])
    iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=ALLOW_ALL)
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["inline"]
    iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert len(iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]) == 1
    profile = iam.create_instance_profile(InstanceProfileName=name)["InstanceProfile"]
    assert profile["InstanceProfileId"].startswith("AIPA")
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    listed = iam.list_instance_profiles_for_role(RoleName=name)["InstanceProfiles"]
    assert [p["Roles"][0]["RoleName"] for p in listed] == [name]
    assert code(lambda: iam.delete_role(RoleName=name)) == "DeleteConflict"
    iam.remove_role_from_instance_profile(InstanceProfileName=name, RoleName=name)
    iam.delete_instance_profile(InstanceProfileName=name)
    iam.detach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.delete_role_policy(RoleName=name, PolicyName="inline")
    iam.delete_role(RoleName=name)


def test_user_tags_and_login_free_details(iam, name):
    iam.create_user(UserName=name)
    iam.tag_user(UserName=name, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    iam.untag_user(UserName=name, TagKeys=["a"])
    assert iam.list_user_tags(UserName=name)["Tags"] == [{"Key": "b", "Value": "2"}]
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=ALLOW_ALL)
    assert iam.get_user_policy(UserName=name, PolicyName="p")["PolicyName"] == "p"


def test_account_level_operations(iam, name):
    alias = name.lower()
    iam.create_account_alias(AccountAlias=alias)
    assert iam.list_account_aliases()["AccountAliases"] == [alias]
    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["UsersQuota"] > 0 and "Users" in summary
    details = iam.get_account_authorization_details(Filter=["User", "Role", "Group", "LocalManagedPolicy"])
    assert "UserDetailList" in details and "RoleDetailList" in details
    iam.delete_account_alias(AccountAlias=alias)
    assert iam.list_account_aliases()["AccountAliases"] == []


def test_simulator_operations(iam, name):
    result = iam.simulate_custom_policy(
        PolicyInputList=[doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"aws:username": "bob"}}})],
        ActionNames=["s3:GetObject", "s3:PutObject"],
        ContextEntries=[{"ContextKeyName": "aws:username", "ContextKeyValues": ["bob"], "ContextKeyType": "string"}],
    )["EvaluationResults"]
    decisions = {r["EvalActionName"]: r["EvalDecision"] for r in result}
    assert decisions == {"s3:GetObject": "allowed", "s3:PutObject": "implicitDeny"}
    keys = iam.get_context_keys_for_custom_policy(PolicyInputList=[doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}})])
    assert [k.lower() for k in keys["ContextKeyNames"]] == ["aws:sourceip"]
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc({"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}))
    arn = iam.get_user(UserName=name)["User"]["Arn"]
    principal = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["iam:ListUsers", "iam:DeleteUser"])["EvaluationResults"]
    assert {r["EvalActionName"]: r["EvalDecision"] for r in principal} == {"iam:ListUsers": "allowed", "iam:DeleteUser": "implicitDeny"}


def test_policy_documents_are_url_encoded_on_the_wire(server, iam, name):
    """boto3 decodes documents; on the wire they are RFC 3986 encoded, as AWS sends them."""
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    import urllib.request

    from conftest import ROOT_KEY_ID, ROOT_SECRET

    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=ALLOW_ALL)
    body = urllib.parse.urlencode({"Action": "GetUserPolicy", "Version": "2010-05-08", "UserName": name, "PolicyName": "p"})
    request = botocore.awsrequest.AWSRequest(method="POST", url=server.endpoint + "/", data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(ROOT_KEY_ID, ROOT_SECRET), "iam", "us-east-1").add_auth(request)
    prepared = request.prepare()
    raw = urllib.request.Request(prepared.url, data=prepared.body.encode() if isinstance(prepared.body, str) else prepared.body, headers=dict(prepared.headers), method="POST")
    with urllib.request.urlopen(raw, timeout=10) as response:
        text = response.read().decode()
    encoded = text.split("<PolicyDocument>")[1].split("</PolicyDocument>")[0]
    assert encoded.startswith("%7B")
    assert json.loads(urllib.parse.unquote(encoded)) == json.loads(ALLOW_ALL)
