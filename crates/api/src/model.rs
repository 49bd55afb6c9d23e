//! The IAM and STS API models: botocore's service models in Warden's compact form
//! (`crates/api/model/*.json`, written by `tools/gen-api-model`), embedded and parsed once.
//!
//! The awsQuery decoder ([`crate::query`]) and the XML encoder ([`crate::xml`]) are driven
//! by these models, so every operation gets AWS's parameter names, constraints and response
//! shapes without hand-written code per operation.

mod pattern;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use serde::Deserialize;

pub use pattern::Pattern;

/// One service's API: its operations and the shapes they are made of.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    metadata: Metadata,
    operations: HashMap<String, Operation, NameHash>,
    shapes: HashMap<String, Shape, NameHash>,
}

/// How the model's tables hash names: FNV-1a, far cheaper than the default SipHash for the
/// short names the decoder and encoder look up for every value. The tables are fixed when
/// the model is loaded, so no request can make their lookups slower.
type NameHash = BuildHasherDefault<Fnv>;

#[derive(Debug)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Metadata {
    api_version: String,
    botocore_version: String,
    namespace: String,
    protocol: String,
    service_id: String,
}

/// One API operation (`CreateUser`, `AssumeRole`, …).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Operation {
    /// The operation's name, as in `Action=` and in `<NameResponse>`.
    pub name: String,
    /// The input structure's shape name; `None` for operations that take no parameters.
    pub input: Option<String>,
    /// The output structure's shape name; `None` for operations that return nothing.
    pub output: Option<String>,
    /// The element wrapping the output in the response (`CreateUserResult`).
    pub result_wrapper: Option<String>,
    /// The shape names of the errors the operation documents.
    pub errors: Vec<String>,
}

/// A shape: the type of a parameter or of a response element, with its constraints.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Shape {
    Structure(StructureShape),
    List(ListShape),
    Map(MapShape),
    String(StringShape),
    Integer(IntegerShape),
    Long(IntegerShape),
    Boolean(BooleanShape),
    Timestamp(TimestampShape),
    Blob(BlobShape),
    Float(FloatShape),
    Double(FloatShape),
}

/// A structure: named members in the model's order.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StructureShape {
    pub members: Vec<Member>,
    /// For error shapes: the wire code and HTTP status.
    pub error: Option<ErrorInfo>,
    #[serde(default)]
    pub exception: bool,
}

/// A member of a structure.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Member {
    pub name: String,
    pub shape: String,
    #[serde(default)]
    pub required: bool,
    pub location_name: Option<String>,
    #[serde(default)]
    pub flattened: bool,
    pub timestamp_format: Option<String>,
}

/// The element type of a list, or the key or value type of a map.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MemberRef {
    pub shape: String,
    pub location_name: Option<String>,
    #[serde(default)]
    pub flattened: bool,
    pub timestamp_format: Option<String>,
}

/// The code and HTTP status of a modelled error (`NoSuchEntity`, 404).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ErrorInfo {
    pub code: String,
    pub http_status_code: u16,
    #[serde(default)]
    pub sender_fault: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListShape {
    pub member: MemberRef,
    #[serde(default)]
    pub flattened: bool,
    pub min: Option<i64>,
    pub max: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapShape {
    pub key: MemberRef,
    pub value: MemberRef,
    #[serde(default)]
    pub flattened: bool,
    pub min: Option<i64>,
    pub max: Option<i64>,
}

/// A string: length bounds (in characters), a Java regular expression, an enumeration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StringShape {
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub pattern: Option<Pattern>,
    #[serde(rename = "enum")]
    pub enum_values: Option<Vec<String>>,
    /// Sensitive values (passwords, secrets, assertions) never appear in error messages.
    #[serde(default)]
    pub sensitive: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegerShape {
    pub min: Option<i64>,
    pub max: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BooleanShape {}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TimestampShape {
    pub timestamp_format: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlobShape {
    #[serde(default)]
    pub sensitive: bool,
    pub min: Option<i64>,
    pub max: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FloatShape {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Model {
    /// IAM, API version `2010-05-08`.
    pub fn iam() -> &'static Model {
        static IAM: OnceLock<Model> = OnceLock::new();
        IAM.get_or_init(|| embedded(include_str!("../model/iam.json")))
    }

    /// STS, API version `2011-06-15`.
    pub fn sts() -> &'static Model {
        static STS: OnceLock<Model> = OnceLock::new();
        STS.get_or_init(|| embedded(include_str!("../model/sts.json")))
    }

    /// The operation named `name` (as in `Action=`), if the service has it.
    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations.get(name)
    }

    /// Every operation, in no particular order.
    pub fn operations(&self) -> impl Iterator<Item = &Operation> {
        self.operations.values()
    }

    /// The shape named `name`.
    pub fn shape(&self, name: &str) -> Option<&Shape> {
        self.shapes.get(name)
    }

    /// Every shape with its name, in no particular order.
    pub fn shapes(&self) -> impl Iterator<Item = (&str, &Shape)> {
        self.shapes
            .iter()
            .map(|(name, shape)| (name.as_str(), shape))
    }

    /// The wire code and HTTP status of the error shape named `shape`.
    pub fn error(&self, shape: &str) -> Option<&ErrorInfo> {
        match self.shapes.get(shape) {
            Some(Shape::Structure(structure)) => structure.error.as_ref(),
            _ => None,
        }
    }

    /// The XML namespace of responses (`https://iam.amazonaws.com/doc/2010-05-08/`).
    pub fn namespace(&self) -> &str {
        &self.metadata.namespace
    }

    /// The API version clients send as `Version=` (`2010-05-08`).
    pub fn version(&self) -> &str {
        &self.metadata.api_version
    }

    /// The service id (`IAM`, `STS`).
    pub fn service_id(&self) -> &str {
        &self.metadata.service_id
    }

    /// The wire protocol (`query`).
    pub fn protocol(&self) -> &str {
        &self.metadata.protocol
    }

    /// The botocore release the model was generated from.
    pub fn botocore_version(&self) -> &str {
        &self.metadata.botocore_version
    }
}

#[expect(
    clippy::expect_used,
    reason = "the embedded models are generated files, parsed by this crate's tests"
)]
fn embedded(json: &str) -> Model {
    serde_json::from_str(json).expect("the embedded API model is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_models_load_with_their_namespace_and_version() {
        let iam = Model::iam();
        assert_eq!(iam.namespace(), "https://iam.amazonaws.com/doc/2010-05-08/");
        assert_eq!(iam.version(), "2010-05-08");
        assert_eq!(iam.protocol(), "query");
        let sts = Model::sts();
        assert_eq!(sts.namespace(), "https://sts.amazonaws.com/doc/2011-06-15/");
        assert_eq!(sts.version(), "2011-06-15");
        assert_eq!(sts.service_id(), "STS");
    }

    #[test]
    fn operations_carry_shapes_and_result_wrappers() {
        let create_user = Model::iam().operation("CreateUser").unwrap();
        assert_eq!(create_user.input.as_deref(), Some("CreateUserRequest"));
        assert_eq!(
            create_user.result_wrapper.as_deref(),
            Some("CreateUserResult")
        );
        assert!(
            create_user
                .errors
                .iter()
                .any(|e| e == "EntityAlreadyExistsException")
        );
        let delete_user = Model::iam().operation("DeleteUser").unwrap();
        assert_eq!(delete_user.output, None);
        assert!(Model::iam().operation("AssumeRole").is_none());
        assert!(Model::sts().operation("AssumeRole").is_some());
    }

    #[test]
    fn members_keep_the_model_order_and_required_flags() {
        let Some(Shape::Structure(request)) = Model::iam().shape("CreateUserRequest") else {
            panic!("CreateUserRequest is a structure");
        };
        let names: Vec<_> = request.members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["Path", "UserName", "PermissionsBoundary", "Tags"]);
        let required: Vec<_> = request.members.iter().map(|m| m.required).collect();
        assert_eq!(required, [false, true, false, false]);
    }

    #[test]
    fn error_shapes_give_code_and_status() {
        let error = Model::iam().error("NoSuchEntityException").unwrap();
        assert_eq!(
            (error.code.as_str(), error.http_status_code),
            ("NoSuchEntity", 404)
        );
        assert!(error.sender_fault);
        let error = Model::iam()
            .error("CredentialReportNotReadyException")
            .unwrap();
        assert_eq!(error.code, "ReportInProgress");
        assert!(Model::iam().error("CreateUserRequest").is_none());
    }
}
