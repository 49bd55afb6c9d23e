//! The AWS IAM policy language: parse, validate, compile and evaluate.
//!
//! [`Policy::parse`] turns a document of a given [`PolicyKind`] into a validated, compiled
//! form, or a [`PolicyError`] in AWS's MalformedPolicyDocument vocabulary that says what is
//! wrong and where. Policies are grouped into [`PolicySet`]s, indexed by service and action.
//! [`Policies`] names the sets that apply to a request (identity, boundary, session, resource,
//! organization) and decides a [`Request`] with AWS's full evaluation logic:
//! [`Policies::evaluate`] answers without allocating; [`Policies::explain`] also lists the
//! statements that decided and the context keys the request lacked.
//!
//! The crate does no I/O, reads no clock and has no async: the time, like everything else
//! about the request, arrives in its [`Context`]. Evaluation cannot fail.
//!
//! ```
//! use std::sync::Arc;
//! use warden_policy::{Context, Outcome, Policies, Policy, PolicyKind, PolicySet, Principal, Request};
//!
//! let policy = Policy::parse(
//!     r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
//!         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/${aws:username}/*"}}"#,
//!     PolicyKind::Identity,
//! )?;
//! let identity = PolicySet::from_policies([("read-own", Arc::new(policy))]);
//! let alice = Principal::from_arn("arn:aws:iam::111122223333:user/alice").unwrap();
//! let mut context = Context::new();
//! context.insert("aws:username", "alice");
//! let request = Request {
//!     principal: &alice,
//!     action: "s3:GetObject",
//!     resource: "arn:aws:s3:::bucket/alice/notes.txt",
//!     resource_account: "111122223333",
//!     context: &context,
//! };
//! let policies = Policies { identity: Some(&identity), ..Policies::default() };
//! assert_eq!(policies.evaluate(&request).outcome, Outcome::Allowed);
//! # Ok::<(), warden_policy::PolicyError>(())
//! ```

mod arn;
mod condition;
mod context;
mod error;
mod evaluate;
mod json;
pub mod limits;
mod policy;
mod principal;
mod set;
pub mod simulate;
mod template;
mod wildcard;

pub use arn::Arn;
pub use condition::Condition;
pub use context::{Context, ContextValue, Request};
pub use error::PolicyError;
pub use evaluate::{
    Decision, Explanation, MatchedStatement, Outcome, Policies, Reason, StatementRef,
};
pub use json::Position;
pub use policy::{Effect, Policy, PolicyKind, Statement, Version};
pub use principal::{Grant, Principal, PrincipalKind};
pub use set::PolicySet;
