//! The decision benchmark's scenarios, engine-neutral: generated statements, grouped into
//! policy documents, and the requests that probe them with the decision each must get.

use warden_policy::Outcome;

pub const ACCOUNT: &str = "111122223333";
pub const USER: &str = "alice";
pub const USER_ARN: &str = "arn:aws:iam::111122223333:user/alice";
pub const USER_ID: &str = "AIDAJQABLZS4A3QDU576Q";
pub const NOW: &str = "2026-06-15T12:00:00Z";
pub const NOW_EPOCH: i64 = 1_781_524_800;
const INSIDE_IP: &str = "203.0.113.7";
const OUTSIDE_IP: &str = "192.0.2.44";
const OFFICE_NETWORKS: &[&str] = &["203.0.113.0/24", "198.51.100.0/24"];
const NOT_AFTER: &str = "2030-01-01T00:00:00Z";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// One statement, engine-neutral.
#[derive(Clone, Debug)]
pub struct Statement {
    pub sid: String,
    pub effect: Effect,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    pub conditions: Vec<Condition>,
}

#[derive(Clone, Copy, Debug)]
pub enum Condition {
    /// `StringEquals` on `aws:PrincipalTag/team`.
    Team(&'static str),
    /// `IpAddress` on `aws:SourceIp`.
    SourceIp(&'static [&'static str]),
    /// `DateLessThan` on `aws:CurrentTime`.
    Before(&'static str),
    /// `Bool` on `aws:SecureTransport`.
    SecureTransport(bool),
}

/// One request to decide, and the decision it must get.
#[derive(Debug)]
pub struct Probe {
    pub label: &'static str,
    pub action: String,
    pub resource: String,
    pub source_ip: &'static str,
    pub expect: Outcome,
}

/// A principal's identity policies and the requests that probe them.
#[derive(Debug)]
pub struct Scenario {
    /// `a`, `b`, `c`, `d`, `d-20`.
    pub key: &'static str,
    /// The criterion group.
    pub group: &'static str,
    pub title: &'static str,
    pub documents: Vec<Vec<Statement>>,
    pub probes: Vec<Probe>,
}

/// Every scenario: (a), (b), (c), (d) and its 20-statement baseline.
pub fn all() -> Vec<Scenario> {
    let (many, baseline) = many_statements();
    vec![mixed(false), mixed(true), read_only(), many, baseline]
}

/// One service of the mixed scenarios: ARN prefix, the separator before a resource's
/// sub-path, actions and wildcard patterns.
struct Service {
    prefix: &'static str,
    arn: &'static str,
    separator: char,
    actions: [&'static str; 8],
    wildcards: [&'static str; 4],
}

#[rustfmt::skip]
const SERVICES: [Service; 10] = [
    Service {
        prefix: "s3",
        arn: "arn:aws:s3:::",
        separator: '/',
        actions: ["GetObject", "PutObject", "DeleteObject", "GetObjectTagging", "PutObjectAcl", "ListBucket", "GetBucketLocation", "AbortMultipartUpload"],
        wildcards: ["Get*", "Put*", "List*", "*Object"],
    },
    Service {
        prefix: "dynamodb",
        arn: "arn:aws:dynamodb:us-east-1:111122223333:table/",
        separator: '-',
        actions: ["GetItem", "PutItem", "Query", "Scan", "UpdateItem", "DeleteItem", "BatchGetItem", "DescribeTable"],
        wildcards: ["Get*", "Batch*", "Describe*", "*Item"],
    },
    Service {
        prefix: "sqs",
        arn: "arn:aws:sqs:us-east-1:111122223333:",
        separator: '-',
        actions: ["SendMessage", "ReceiveMessage", "DeleteMessage", "GetQueueAttributes", "GetQueueUrl", "ChangeMessageVisibility", "PurgeQueue", "ListQueueTags"],
        wildcards: ["Get*", "*Message", "List*", "Send*"],
    },
    Service {
        prefix: "sns",
        arn: "arn:aws:sns:us-east-1:111122223333:",
        separator: '-',
        actions: ["Publish", "Subscribe", "GetTopicAttributes", "ListSubscriptionsByTopic", "SetTopicAttributes", "Unsubscribe", "ConfirmSubscription", "TagResource"],
        wildcards: ["Get*", "List*", "Set*", "*Subscription"],
    },
    Service {
        prefix: "lambda",
        arn: "arn:aws:lambda:us-east-1:111122223333:function:",
        separator: '-',
        actions: ["InvokeFunction", "GetFunction", "UpdateFunctionCode", "GetFunctionConfiguration", "ListVersionsByFunction", "PublishVersion", "GetPolicy", "InvokeAsync"],
        wildcards: ["Get*", "Invoke*", "List*", "Update*"],
    },
    Service {
        prefix: "kms",
        arn: "arn:aws:kms:us-east-1:111122223333:key/",
        separator: '-',
        actions: ["Decrypt", "Encrypt", "GenerateDataKey", "DescribeKey", "ReEncryptFrom", "ReEncryptTo", "GetKeyPolicy", "Sign"],
        wildcards: ["Describe*", "Get*", "ReEncrypt*", "GenerateDataKey*"],
    },
    Service {
        prefix: "logs",
        arn: "arn:aws:logs:us-east-1:111122223333:log-group:",
        separator: '-',
        actions: ["CreateLogStream", "PutLogEvents", "GetLogEvents", "FilterLogEvents", "DescribeLogStreams", "StartQuery", "GetQueryResults", "TagLogGroup"],
        wildcards: ["Describe*", "Get*", "Put*", "*Query*"],
    },
    Service {
        prefix: "secretsmanager",
        arn: "arn:aws:secretsmanager:us-east-1:111122223333:secret:",
        separator: '-',
        actions: ["GetSecretValue", "DescribeSecret", "PutSecretValue", "UpdateSecret", "ListSecretVersionIds", "RotateSecret", "TagResource", "GetResourcePolicy"],
        wildcards: ["Get*", "Describe*", "List*", "*Secret*"],
    },
    Service {
        prefix: "ec2",
        arn: "arn:aws:ec2:us-east-1:111122223333:instance/",
        separator: '-',
        actions: ["StartInstances", "StopInstances", "RebootInstances", "DescribeInstances", "TerminateInstances", "CreateTags", "DescribeVolumes", "AttachVolume"],
        wildcards: ["Describe*", "Start*", "Stop*", "*Instances"],
    },
    Service {
        prefix: "cloudwatch",
        arn: "arn:aws:cloudwatch:us-east-1:111122223333:alarm:",
        separator: '-',
        actions: ["PutMetricAlarm", "DescribeAlarms", "GetMetricData", "SetAlarmState", "DeleteAlarms", "EnableAlarmActions", "DisableAlarmActions", "ListTagsForResource"],
        wildcards: ["Describe*", "Get*", "*Alarm*", "List*"],
    },
];

/// (a) and (b): 10 policies × 10 statements over 10 services, each service in 10 statements
/// (one per policy), each statement on its own resources. With `conditions`, every
/// statement also tests one or all of a principal tag, the source IP and the time, half use
/// `${aws:username}` in their resource, and one denies any request made without TLS.
fn mixed(conditions: bool) -> Scenario {
    let mut documents = Vec::new();
    for p in 0..10 {
        let mut statements = Vec::new();
        for s in 0..10 {
            let service = &SERVICES[(p + 3 * s) % SERVICES.len()];
            let i = p + s;
            let sep = service.separator;
            let mut statement = Statement {
                sid: format!("P{p}S{s}"),
                effect: Effect::Allow,
                actions: vec![
                    format!("{}:{}", service.prefix, service.actions[i % 8]),
                    format!("{}:{}", service.prefix, service.actions[(i + 3) % 8]),
                    format!("{}:{}", service.prefix, service.wildcards[(i + 1) % 4]),
                ],
                resources: vec![format!("{}app-{p}-{s}{sep}*", service.arn)],
                conditions: Vec::new(),
            };
            if conditions {
                if i % 2 == 0 {
                    statement.resources = vec![format!(
                        "{}app-{p}-{s}{sep}home{sep}${{aws:username}}{sep}*",
                        service.arn
                    )];
                }
                statement.conditions = match i % 4 {
                    0 => vec![
                        Condition::Team("platform"),
                        Condition::SourceIp(OFFICE_NETWORKS),
                        Condition::Before(NOT_AFTER),
                    ],
                    1 => vec![Condition::Team("platform")],
                    2 => vec![Condition::SourceIp(OFFICE_NETWORKS)],
                    _ => vec![Condition::Before(NOT_AFTER)],
                };
            }
            if (p, s) == (3, 9) {
                // The one Deny; it lands in s3, the probed service.
                statement = if conditions {
                    Statement {
                        sid: "DenyInsecureTransport".to_owned(),
                        effect: Effect::Deny,
                        actions: vec!["*".to_owned()],
                        resources: vec!["*".to_owned()],
                        conditions: vec![Condition::SecureTransport(false)],
                    }
                } else {
                    Statement {
                        sid: "DenyDeletes".to_owned(),
                        effect: Effect::Deny,
                        actions: vec!["s3:DeleteBucket".to_owned(), "s3:DeleteObject*".to_owned()],
                        resources: vec!["arn:aws:s3:::app-*".to_owned()],
                        conditions: Vec::new(),
                    }
                };
            }
            statements.push(statement);
        }
        documents.push(statements);
    }
    // Statement (7, 1) is in s3 and allows s3:GetObject on app-7-1 (under home/alice/ in
    // (b), where it tests all three conditions); nothing else covers these resources.
    let (allowed, denied, source_ip) = if conditions {
        (
            "arn:aws:s3:::app-7-1/home/alice/q3.csv",
            "arn:aws:s3:::app-7-1/home/alice/q3.csv",
            OUTSIDE_IP,
        )
    } else {
        (
            "arn:aws:s3:::app-7-1/reports/2026/q3.csv",
            "arn:aws:s3:::finance-archive/2026/q3.csv",
            INSIDE_IP,
        )
    };
    Scenario {
        key: if conditions { "b" } else { "a" },
        group: if conditions {
            "b_conditions"
        } else {
            "a_10x10"
        },
        title: if conditions {
            "10x10 + conditions/variables"
        } else {
            "10 policies x 10 statements"
        },
        documents,
        probes: vec![
            probe(
                "allow",
                "s3:GetObject",
                allowed,
                INSIDE_IP,
                Outcome::Allowed,
            ),
            probe(
                "deny",
                "s3:GetObject",
                denied,
                source_ip,
                Outcome::ImplicitDeny,
            ),
        ],
    }
}

/// 150 service prefixes, as AWS spells them.
#[rustfmt::skip]
const PREFIXES: [&str; 150] = [
    "access-analyzer", "account", "acm", "acm-pca", "airflow", "amplify", "apigateway", "appconfig",
    "appflow", "application-autoscaling", "applicationinsights", "appmesh", "apprunner", "appstream",
    "appsync", "aps", "athena", "auditmanager", "autoscaling", "backup", "batch", "bedrock", "budgets",
    "ce", "chatbot", "cloud9", "clouddirectory", "cloudformation", "cloudfront", "cloudhsm",
    "cloudsearch", "cloudtrail", "cloudwatch", "codeartifact", "codebuild", "codecommit", "codedeploy",
    "codepipeline", "cognito-identity", "cognito-idp", "comprehend", "compute-optimizer", "config",
    "connect", "databrew", "dataexchange", "datasync", "dax", "detective", "devicefarm", "devops-guru",
    "directconnect", "dlm", "dms", "ds", "dynamodb", "ebs", "ec2", "ecr", "ecs", "eks",
    "elasticache", "elasticbeanstalk", "elasticfilesystem", "elasticloadbalancing",
    "elasticmapreduce", "emr-containers", "emr-serverless", "es", "events", "firehose", "fis", "fms",
    "forecast", "fsx", "gamelift", "glacier", "globalaccelerator", "glue", "grafana", "greengrass",
    "guardduty", "health", "iam", "identitystore", "imagebuilder", "inspector2", "iot", "iotevents",
    "iotsitewise", "ivs", "kafka", "kendra", "kinesis", "kinesisanalytics", "kinesisvideo", "kms",
    "lakeformation", "lambda", "lex", "license-manager", "lightsail", "logs", "macie2", "mediaconvert",
    "medialive", "mediapackage", "memorydb", "mq", "network-firewall", "networkmanager",
    "organizations", "outposts", "personalize", "pi", "pipes", "polly", "quicksight", "ram", "rds",
    "redshift", "redshift-serverless", "rekognition", "resource-explorer-2", "resource-groups",
    "route53", "route53resolver", "s3", "sagemaker", "scheduler", "schemas", "secretsmanager",
    "securityhub", "servicecatalog", "servicediscovery", "servicequotas", "ses", "shield", "sns",
    "sqs", "ssm", "sso", "states", "storagegateway", "sts", "synthetics", "tag", "textract",
    "transfer", "xray",
];

#[rustfmt::skip]
const READ_VERBS: [&str; 10] = ["Query", "Search", "Lookup", "Validate", "Preview", "Export", "Check", "View", "Estimate", "Test"];
#[rustfmt::skip]
const WRITE_VERBS: [&str; 10] = ["Create", "Delete", "Update", "Put", "Tag", "Untag", "Start", "Stop", "Associate", "Modify"];
#[rustfmt::skip]
const NOUNS: [&str; 12] = ["Resources", "Configuration", "Events", "Findings", "Metrics", "Templates", "Usage", "Permissions", "Routes", "Records", "Insights", "Snapshots"];

/// (c): 2,000 action patterns over 150 services in the shape of AWS's ReadOnlyAccess: per
/// service `Get*`, `List*`, `Describe*`, `BatchGet*` and 9 or 10 exact read actions, in 4
/// policies of one large statement each, on `Resource: *`.
fn read_only() -> Scenario {
    let mut lists: Vec<Vec<String>> = vec![Vec::new(); 4];
    for (index, service) in PREFIXES.iter().enumerate() {
        let list = &mut lists[index % 4];
        for wildcard in ["Get*", "List*", "Describe*", "BatchGet*"] {
            list.push(format!("{service}:{wildcard}"));
        }
        let exact = if index < 50 { 10 } else { 9 };
        for (j, verb) in READ_VERBS.iter().take(exact).enumerate() {
            list.push(format!(
                "{service}:{verb}{}",
                NOUNS[(index + j) % NOUNS.len()]
            ));
        }
    }
    assert_eq!(lists.iter().map(Vec::len).sum::<usize>(), 2_000);
    let documents = lists
        .into_iter()
        .enumerate()
        .map(|(n, actions)| {
            vec![Statement {
                sid: format!("ReadOnlyActions{n}"),
                effect: Effect::Allow,
                actions,
                resources: vec!["*".to_owned()],
                conditions: Vec::new(),
            }]
        })
        .collect();
    let instance = "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc12345def67890";
    Scenario {
        key: "c",
        group: "c_read_only_2000",
        title: "2,000 action patterns",
        documents,
        probes: vec![
            probe(
                "allow",
                "ec2:DescribeInstances",
                instance,
                INSIDE_IP,
                Outcome::Allowed,
            ),
            probe(
                "deny",
                "ec2:TerminateInstances",
                instance,
                INSIDE_IP,
                Outcome::ImplicitDeny,
            ),
        ],
    }
}

/// (d): 10,000 statements in 250 policies of 40, of which 20 name s3:GetObject (exactly, as
/// `s3:Get*` or as `s3:*Object`; one of them a Deny); the rest are spread evenly over 150
/// services, the ~66 in s3 naming other s3 actions and patterns (`s3:Put*`, `s3:*Bucket*`, …).
/// And the baseline: a principal holding only the 20.
fn many_statements() -> (Scenario, Scenario) {
    #[rustfmt::skip]
    const S3_OTHER: [&str; 8] = ["PutObject", "DeleteObject", "ListBucket", "PutObjectAcl", "GetBucketPolicy", "PutBucketTagging", "DeleteObjectVersion", "ListMultipartUploadParts"];
    #[rustfmt::skip]
    const S3_OTHER_WILDCARDS: [&str; 5] = ["Put*", "List*", "Delete*", "*Bucket*", "*Multipart*"];
    let mut statements = Vec::with_capacity(10_000);
    let mut relevant = Vec::with_capacity(20);
    for i in 0..10_000 {
        if i % 500 == 250 {
            let k = i / 500;
            let (effect, actions, resource) = match k {
                19 => (
                    Effect::Deny,
                    vec!["s3:GetObject"],
                    "arn:aws:s3:::data-*/restricted/*".to_owned(),
                ),
                _ if k % 3 == 0 => (
                    Effect::Allow,
                    vec!["s3:GetObject", "s3:GetObjectVersion"],
                    format!("arn:aws:s3:::data-{k}/*"),
                ),
                _ if k % 3 == 1 => (
                    Effect::Allow,
                    vec!["s3:Get*"],
                    format!("arn:aws:s3:::data-{k}/*"),
                ),
                _ => (
                    Effect::Allow,
                    vec!["s3:*Object", "s3:ListBucket"],
                    format!("arn:aws:s3:::data-{k}/*"),
                ),
            };
            let statement = Statement {
                sid: format!("Data{k}"),
                effect,
                actions: actions.into_iter().map(str::to_owned).collect(),
                resources: vec![resource],
                conditions: Vec::new(),
            };
            relevant.push(statement.clone());
            statements.push(statement);
            continue;
        }
        let service = PREFIXES[i % PREFIXES.len()];
        let (actions, resource) = if service == "s3" {
            let actions = vec![
                format!("s3:{}", S3_OTHER[i % 8]),
                format!("s3:{}", S3_OTHER[(i + 1) % 8]),
                format!("s3:{}", S3_OTHER_WILDCARDS[i % 5]),
            ];
            (actions, format!("arn:aws:s3:::bucket-{i}/*"))
        } else {
            let noun = NOUNS[(i / 10) % NOUNS.len()];
            let actions = vec![
                format!("{service}:{}{noun}", WRITE_VERBS[i % 10]),
                format!("{service}:{}{noun}", WRITE_VERBS[(i + 3) % 10]),
                format!("{service}:{}*", WRITE_VERBS[(i / 7) % 10]),
            ];
            (
                actions,
                format!("arn:aws:{service}:us-east-1:111122223333:res-{i}/*"),
            )
        };
        statements.push(Statement {
            sid: format!("S{i}"),
            effect: Effect::Allow,
            actions,
            resources: vec![resource],
            conditions: Vec::new(),
        });
    }
    let probes = || {
        vec![
            probe(
                "allow",
                "s3:GetObject",
                "arn:aws:s3:::data-13/reports/q3.csv",
                INSIDE_IP,
                Outcome::Allowed,
            ),
            probe(
                "deny",
                "s3:GetObject",
                "arn:aws:s3:::finance-archive/2026/q3.csv",
                INSIDE_IP,
                Outcome::ImplicitDeny,
            ),
        ]
    };
    let many = Scenario {
        key: "d",
        group: "d_10000_statements",
        title: "10,000 statements, 20 apply",
        documents: statements.chunks(40).map(<[Statement]>::to_vec).collect(),
        probes: probes(),
    };
    let baseline = Scenario {
        key: "d-20",
        group: "d_20_statements",
        title: "only the 20 statements",
        documents: vec![relevant],
        probes: probes(),
    };
    (many, baseline)
}

fn probe(
    label: &'static str,
    action: &str,
    resource: &str,
    source_ip: &'static str,
    expect: Outcome,
) -> Probe {
    Probe {
        label,
        action: action.to_owned(),
        resource: resource.to_owned(),
        source_ip,
        expect,
    }
}

impl Scenario {
    pub fn statement_count(&self) -> usize {
        self.documents.iter().map(Vec::len).sum()
    }

    pub fn statements(&self) -> impl Iterator<Item = &Statement> {
        self.documents.iter().flatten()
    }
}
