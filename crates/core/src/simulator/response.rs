//! The `SimulatePolicyResponse`, with the members, order and spellings of botocore's model, so
//! that the API answers what IAM answers and `warden policy simulate` prints what
//! `aws iam simulate-custom-policy` prints.
//!
//! AWS now answers each action once, its top-level decision the most restrictive over the
//! resources and `ResourceSpecificResults` holding each resource's (the IAM API reference's
//! EvaluationResult page). AWS does not say which resource the top level then names: Warden
//! names the first one asked about, which is the only one when a single resource is simulated.
//! `ResourceSpecificResults` appear when the request names a resource other than `*`, as in
//! AWS's sample responses; the top-level `MissingContextValues` is then the union of theirs.

use std::collections::BTreeMap;

use serde::Serialize;
use warden_policy::simulate::{ActionResult, ResourceResult, source_type};
use warden_policy::{MatchedStatement, Outcome, PolicyKind, Position};

use super::Label;

/// One page of a simulation's results.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    evaluation_results: Vec<EvaluationResult>,
    is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
    /// How many evaluations (one action on one resource each) answering took.
    #[serde(skip)]
    evaluations: usize,
}

impl Response {
    /// How many evaluations (one action on one resource each) this page took: the page's
    /// actions times their resources, whatever the size of the whole simulation.
    pub fn evaluations(&self) -> usize {
        self.evaluations
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct EvaluationResult {
    eval_action_name: String,
    eval_resource_name: String,
    eval_decision: &'static str,
    matched_statements: Vec<Statement>,
    missing_context_values: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    permissions_boundary_decision_detail: Option<BoundaryDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    eval_decision_details: Option<BTreeMap<&'static str, &'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_specific_results: Option<Vec<ResourceSpecificResult>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ResourceSpecificResult {
    eval_resource_name: String,
    eval_resource_decision: &'static str,
    matched_statements: Vec<Statement>,
    missing_context_values: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    eval_decision_details: Option<BTreeMap<&'static str, &'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    permissions_boundary_decision_detail: Option<BoundaryDetail>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Statement {
    source_policy_id: String,
    source_policy_type: &'static str,
    start_position: Line,
    end_position: Line,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Line {
    line: u32,
    column: u32,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct BoundaryDetail {
    allowed_by_permissions_boundary: bool,
}

/// The page of results `page`, which starts at the `start`th action and took `evaluations`;
/// when more actions follow, the marker is the position of the next. `labels` name the
/// policies that are not reported under their simulation ids.
pub(super) fn page(
    page: &[ActionResult],
    start: usize,
    is_truncated: bool,
    evaluations: usize,
    labels: &[Label],
) -> Response {
    let end = start.saturating_add(page.len());
    let namer = Namer { labels };
    Response {
        evaluation_results: page.iter().map(|r| namer.evaluation_result(r)).collect(),
        is_truncated,
        marker: is_truncated.then(|| end.to_string()),
        evaluations,
    }
}

struct Namer<'l> {
    labels: &'l [Label],
}

impl Namer<'_> {
    fn evaluation_result(&self, result: &ActionResult) -> EvaluationResult {
        let names_resources = result.resources.iter().any(|r| r.resource != "*");
        EvaluationResult {
            eval_action_name: result.action.clone(),
            eval_resource_name: result
                .resources
                .first()
                .map_or_else(|| "*".to_owned(), |r| r.resource.clone()),
            eval_decision: result.outcome.as_str(),
            matched_statements: self.statements(&result.matched),
            missing_context_values: result.missing_context.clone(),
            permissions_boundary_decision_detail: boundary(result.boundary_allows),
            eval_decision_details: details(result.decision_details.as_deref()),
            resource_specific_results: names_resources.then(|| {
                result
                    .resources
                    .iter()
                    .map(|r| self.resource_result(r))
                    .collect()
            }),
        }
    }

    fn resource_result(&self, result: &ResourceResult) -> ResourceSpecificResult {
        ResourceSpecificResult {
            eval_resource_name: result.resource.clone(),
            eval_resource_decision: result.outcome.as_str(),
            matched_statements: self.statements(&result.matched),
            missing_context_values: result.missing_context.clone(),
            eval_decision_details: details(result.decision_details.as_deref()),
            permissions_boundary_decision_detail: boundary(result.boundary_allows),
        }
    }

    fn statements(&self, matched: &[MatchedStatement]) -> Vec<Statement> {
        let line = |p: Position| Line {
            line: p.line,
            column: p.column,
        };
        matched
            .iter()
            .map(|m| {
                let label = self
                    .labels
                    .iter()
                    .find(|l| l.id == m.policy_id && l.kind == m.kind);
                Statement {
                    source_policy_id: label.map_or_else(|| m.policy_id.clone(), |l| l.name.clone()),
                    source_policy_type: label
                        .and_then(|l| l.source_type)
                        .unwrap_or_else(|| source_type(m.kind)),
                    start_position: line(m.start),
                    end_position: line(m.end),
                }
            })
            .collect()
    }
}

fn boundary(allows: Option<bool>) -> Option<BoundaryDetail> {
    allows.map(|allowed| BoundaryDetail {
        allowed_by_permissions_boundary: allowed,
    })
}

fn details(
    details: Option<&[(PolicyKind, Outcome)]>,
) -> Option<BTreeMap<&'static str, &'static str>> {
    details.map(|details| {
        details
            .iter()
            .map(|&(kind, outcome)| (source_type(kind), outcome.as_str()))
            .collect()
    })
}
