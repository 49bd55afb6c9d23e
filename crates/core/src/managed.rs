//! The AWS managed policies Warden ships, under `arn:aws:iam::aws:policy/`: the ones IAM
//! users most often attach, with the permissions AWS documents for them.

use warden_policy::PolicyKind;

use crate::model::{Document, EntityName, EntityPath, ManagedPolicy, PolicyVersion, UniqueId};
use crate::state::{Mutation, State};

pub use crate::arn::AWS_ACCOUNT;

/// 2015-02-06, when AWS's first managed policies appeared.
const CREATED: i64 = 1_423_180_800;

const READ_ONLY_SERVICES: &[&str] = &[
    "acm",
    "apigateway",
    "application-autoscaling",
    "athena",
    "autoscaling",
    "backup",
    "batch",
    "cloudformation",
    "cloudfront",
    "cloudtrail",
    "cloudwatch",
    "codebuild",
    "codecommit",
    "codedeploy",
    "codepipeline",
    "config",
    "dynamodb",
    "ec2",
    "ecr",
    "ecs",
    "eks",
    "elasticache",
    "elasticbeanstalk",
    "elasticfilesystem",
    "elasticloadbalancing",
    "es",
    "events",
    "firehose",
    "glue",
    "iam",
    "kinesis",
    "kms",
    "lambda",
    "logs",
    "organizations",
    "rds",
    "redshift",
    "route53",
    "s3",
    "secretsmanager",
    "ses",
    "sns",
    "sqs",
    "ssm",
    "states",
    "sts",
    "tag",
    "xray",
];

fn read_only_document() -> String {
    let actions: Vec<String> = READ_ONLY_SERVICES
        .iter()
        .flat_map(|s| {
            [
                format!("\"{s}:Describe*\""),
                format!("\"{s}:Get*\""),
                format!("\"{s}:List*\""),
            ]
        })
        .collect();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"ReadOnly","Effect":"Allow","Action":[{}],"Resource":"*"}}]}}"#,
        actions.join(",")
    )
}

/// (name, path, id, description, document)
fn definitions() -> Vec<(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    String,
)> {
    vec![
        (
            "AdministratorAccess",
            "/",
            "ANPAIWMBCKSKIEE64ZLYK",
            "Provides full access to AWS services and resources.",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#.to_owned(),
        ),
        (
            "PowerUserAccess",
            "/",
            "ANPAJYRXTHIB4FOVS3ZXS",
            "Provides full access to AWS services and resources, but does not allow management of Users and groups.",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"},{"Effect":"Allow","Action":["iam:CreateServiceLinkedRole","iam:DeleteServiceLinkedRole","iam:ListRoles","organizations:DescribeOrganization","account:ListRegions","account:GetAccountInformation"],"Resource":"*"}]}"#.to_owned(),
        ),
        (
            "IAMFullAccess",
            "/",
            "ANPAI7XKCFMBPM3QQRRVQ",
            "Provides full access to IAM via the AWS Management Console.",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","organizations:DescribeAccount","organizations:DescribeOrganization","organizations:DescribeOrganizationalUnit","organizations:DescribePolicy","organizations:ListChildren","organizations:ListParents","organizations:ListPoliciesForTarget","organizations:ListRoots","organizations:ListPolicies","organizations:ListTargetsForPolicy"],"Resource":"*"}]}"#.to_owned(),
        ),
        (
            "IAMReadOnlyAccess",
            "/",
            "ANPAJKSO7NDY4T57MWDSQ",
            "Provides read only access to IAM via the AWS Management Console.",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:GenerateServiceLastAccessedDetails","iam:Get*","iam:List*","iam:SimulateCustomPolicy","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}"#.to_owned(),
        ),
        (
            "IAMUserChangePassword",
            "/",
            "ANPAJ4L4MM2A7QIEB56MS",
            "Provides the ability for an IAM user to change their own password.",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ChangePassword"],"Resource":["arn:aws:iam::*:user/${aws:username}"]},{"Effect":"Allow","Action":["iam:GetAccountPasswordPolicy"],"Resource":"*"}]}"#.to_owned(),
        ),
        (
            "ReadOnlyAccess",
            "/",
            "ANPAILL3HVNFSB6DCOWYQ",
            "Provides read-only access to AWS services and resources.",
            read_only_document(),
        ),
    ]
}

/// Puts the managed policies into `state` (they are built in, never stored).
pub(crate) fn install(state: &mut State) {
    for (name, path, id, description, text) in definitions() {
        let Ok(document) = Document::parse(&text, PolicyKind::Identity) else {
            tracing::error!(policy = name, "a built-in managed policy does not parse");
            continue;
        };
        let Ok(path) = EntityPath::for_policy(path) else {
            tracing::error!(policy = name, "a built-in managed policy's path is invalid");
            continue;
        };
        state.apply(Mutation::Policy(ManagedPolicy {
            id: UniqueId::new(id),
            account: AWS_ACCOUNT.to_owned(),
            name: EntityName::new(name),
            path,
            created: CREATED,
            updated: CREATED,
            description: Some(description.to_owned()),
            default_version: "v1".to_owned(),
            versions: vec![PolicyVersion {
                id: "v1".to_owned(),
                document,
                created: CREATED,
            }],
            next_version: 2,
            tags: Vec::new(),
        }));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_builtin_policy_parses() {
        for (name, _, _, _, text) in super::definitions() {
            assert!(
                warden_policy::Policy::parse(&text, warden_policy::PolicyKind::Identity).is_ok(),
                "{name}"
            );
        }
    }
}
