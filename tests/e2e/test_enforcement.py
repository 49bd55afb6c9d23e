"""Enforcement: every call is authorized by the policy engine, and changes apply to the very
next request."""

import json

import pytest
from botocore.exceptions import ClientError


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def denied(call):
    with pytest.raises(ClientError) as error:
        call()
    assert error.value.response["Error"]["Code"] == "AccessDenied", error.value.response
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    return error.value.response["Error"]["Message"]


def test_no_policy_means_access_denied_with_aws_message(make_user, name):
    client, _ = make_user(name)
    message = denied(lambda: client.list_users())
    assert message.startswith(f"User: arn:aws:iam::")
    assert f":user/{name} is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::" in message
    assert message.endswith("because no identity-based policy allows the iam:ListUsers action")


def test_inline_allow_then_explicit_deny(iam, make_user, name):
    client, _ = make_user(name, doc(allow("iam:ListUsers")))
    client.list_users()
    iam.put_user_policy(UserName=name, PolicyName="deny", PolicyDocument=doc(deny("iam:ListUsers")))
    message = denied(lambda: client.list_users())
    assert message.endswith("with an explicit deny in an identity-based policy")
    iam.delete_user_policy(UserName=name, PolicyName="deny")
    client.list_users()


def test_authorization_before_existence(make_user, name):
    client, _ = make_user(name)
    message = denied(lambda: client.get_user(UserName="no-such-user-anywhere"))
    assert "no-such-user-anywhere" in message


def test_group_policies_apply_to_members(iam, make_user, name):
    client, _ = make_user(name)
    group = name + "g"
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="read", PolicyDocument=doc(allow("iam:ListGroups")))
    denied(lambda: client.list_groups())
    iam.add_user_to_group(GroupName=group, UserName=name)
    client.list_groups()
    iam.remove_user_from_group(GroupName=group, UserName=name)
    denied(lambda: client.list_groups())


def test_new_default_policy_version_takes_effect(iam, make_user, name):
    client, _ = make_user(name)
    arn = iam.create_policy(PolicyName=name, PolicyDocument=doc(allow("iam:ListRoles")))["Policy"]["Arn"]
    iam.attach_user_policy(UserName=name, PolicyArn=arn)
    client.list_roles()
    denied(lambda: client.list_users())
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow("iam:ListUsers")), SetAsDefault=True)
    client.list_users()
    denied(lambda: client.list_roles())
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    client.list_roles()


def test_username_variable_scopes_to_self(make_user, name):
    client, _ = make_user(name, doc(allow("iam:GetUser", "arn:aws:iam::*:user/${aws:username}")))
    assert client.get_user(UserName=name)["User"]["UserName"] == name
    denied(lambda: client.get_user(UserName=name + "other"))


def test_path_scoped_resources(iam, make_user, name):
    client, _ = make_user(name, doc(allow("iam:GetUser", "arn:aws:iam::*:user/team-a/*")))
    iam.create_user(UserName=name + "a", Path="/team-a/")
    iam.create_user(UserName=name + "b", Path="/team-b/")
    client.get_user(UserName=name + "a")
    denied(lambda: client.get_user(UserName=name + "b"))


def test_permissions_boundary_caps_identity_policy(iam, make_user, name):
    client, _ = make_user(name, doc(allow("iam:*")))
    boundary = iam.create_policy(PolicyName=name + "b", PolicyDocument=doc(allow("iam:ListUsers")))["Policy"]["Arn"]
    client.list_roles()
    iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=boundary)
    client.list_users()
    message = denied(lambda: client.list_roles())
    assert message.endswith("because no permissions boundary allows the iam:ListRoles action")
    iam.delete_user_permissions_boundary(UserName=name)
    client.list_roles()


def test_abac_on_principal_and_resource_tags(iam, make_user, name):
    policy = doc(
        allow(
            "iam:GetRole",
            Condition={"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}},
        )
    )
    client, _ = make_user(name, policy)
    iam.tag_user(UserName=name, Tags=[{"Key": "team", "Value": "blue"}])
    trust = doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
    iam.create_role(RoleName=name + "blue", AssumeRolePolicyDocument=trust, Tags=[{"Key": "team", "Value": "blue"}])
    iam.create_role(RoleName=name + "red", AssumeRolePolicyDocument=trust, Tags=[{"Key": "team", "Value": "red"}])
    client.get_role(RoleName=name + "blue")
    denied(lambda: client.get_role(RoleName=name + "red"))


def test_abac_on_request_tags(make_user, name):
    policy = doc(
        allow(
            "iam:CreateUser",
            Condition={
                "StringEquals": {"aws:RequestTag/project": "alpha"},
                "ForAllValues:StringEquals": {"aws:TagKeys": ["project"]},
            },
        )
    )
    client, _ = make_user(name, policy)
    client.create_user(UserName=name + "ok", Tags=[{"Key": "project", "Value": "alpha"}])
    denied(lambda: client.create_user(UserName=name + "no", Tags=[{"Key": "project", "Value": "beta"}]))
    denied(lambda: client.create_user(UserName=name + "no2", Tags=[{"Key": "project", "Value": "alpha"}, {"Key": "x", "Value": "y"}]))


def test_source_ip_condition(make_user, name):
    client, _ = make_user(name, doc(allow("iam:ListUsers", Condition={"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}})))
    client.list_users()
    other, _ = make_user(name + "x", doc(allow("iam:ListUsers", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})))
    denied(lambda: other.list_users())


def test_root_may_do_anything_in_its_account(iam, name):
    iam.create_user(UserName=name)
    iam.delete_user(UserName=name)
