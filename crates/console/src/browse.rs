//! Browsing an account: groups, roles and managed policies (lists with a filter and detail
//! pages with policy documents pretty-printed), a user's detail page with its policies
//! attached and detached, groups created and deleted. Each section is one IAM operation run
//! through [`warden_core::Service::call`] as the signed-in principal; a refused section shows
//! AWS's message in place.

#![allow(
    clippy::result_large_err,
    reason = "a refusal is the response answered at once, not an error passed up"
)]

use std::fmt::Write as _;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};
use warden_core::{Action, Error};

use crate::html::{csrf_field, error, esc, notice};
use crate::pages::{call, field, name_char, posted, show, signed_in, status_of, text, validate};
use crate::sessions::{ConsoleSession, Stage};
use crate::{Console, Req, form};

/// `text` for a URL's path segment or query value.
fn url(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A policy document as JSON, pretty-printed in its own key order (URL-encoded documents
/// decoded first); as it is when it is not JSON.
pub(crate) fn pretty(document: &str) -> String {
    let decoded;
    let text = if serde_json::from_str::<Value>(document).is_ok() {
        document
    } else {
        decoded = form_urlencoded::parse(format!("d={document}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        if serde_json::from_str::<Value>(&decoded).is_err() {
            return document.to_owned();
        }
        &decoded
    };
    reindent(text)
}

/// Valid JSON `text` laid out two spaces per level, one member or element per line.
fn reindent(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = text.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
                if matches!(chars.peek(), Some('}' | ']')) {
                    continue;
                }
                depth += 1;
                newline(&mut out, depth);
            }
            '}' | ']' => {
                if !matches!(out.chars().last(), Some('{' | '[')) {
                    depth = depth.saturating_sub(1);
                    newline(&mut out, depth);
                }
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

/// The items of `listed`'s array `member`.
fn items<'v>(listed: &'v Value, member: &str) -> &'v [Value] {
    listed
        .get(member)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Runs `action` and answers its output, or writes AWS's message into `body`.
async fn fetch(
    console: &Arc<Console>,
    req: &Req,
    session: &ConsoleSession,
    action: Action,
    input: Value,
    status: &mut StatusCode,
    body: &mut String,
) -> Option<Value> {
    match call(console, req, session, action, input).await {
        Ok(value) => Some(value),
        Err(e) => {
            if *status == StatusCode::OK {
                *status = status_of(&e);
            }
            body.push_str(&error(e.message()));
            None
        }
    }
}

/// The filter form of a list page.
fn filter_form(path: &str, filter: &str) -> String {
    format!(
        "<form method=\"get\" action=\"{path}\" id=\"filter-form\">\
         <label>Filter by name <input name=\"filter\" id=\"filter\" value=\"{}\"></label>\
         <button type=\"submit\">Filter</button></form>",
        esc(filter)
    )
}

fn filter_of(query: Option<String>) -> String {
    form(query.unwrap_or_default().as_bytes())
        .remove("filter")
        .unwrap_or_default()
}

/// Whether `name` passes the filter `wanted` (lowercase).
fn passes(name: &str, wanted: &str) -> bool {
    name.to_lowercase().contains(wanted)
}

/// A table of attached managed policies, with a detach button when `detach` names the form's
/// action.
fn attached_table(listed: &Value, csrf: &str, detach: Option<&str>) -> String {
    let attached = items(listed, "AttachedPolicies");
    if attached.is_empty() {
        return "<p>No attached managed policies.</p>".to_owned();
    }
    let mut out =
        String::from("<table class=\"attached\"><tr><th>Policy</th><th>ARN</th><th></th></tr>");
    for policy in attached {
        let arn = text(policy, "PolicyArn").unwrap_or_default();
        let _ = write!(
            out,
            "<tr><td><a href=\"/console/policies/view?arn={}\">{}</a></td><td><code>{}</code></td><td>",
            esc(&url(arn)),
            esc(text(policy, "PolicyName").unwrap_or_default()),
            esc(arn),
        );
        if let Some(action) = detach {
            let _ = write!(
                out,
                "<form class=\"inline\" method=\"post\" action=\"{}\">{}\
                 <input type=\"hidden\" name=\"policy_arn\" value=\"{}\">\
                 <button type=\"submit\">Detach</button></form>",
                esc(action),
                csrf_field(csrf),
                esc(arn)
            );
        }
        out.push_str("</td></tr>");
    }
    out.push_str("</table>");
    out
}

/// The form that attaches a managed policy to the entity whose page is `base`.
fn attach_form(base: &str, csrf: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{}/attach\" id=\"attach-form\">{}\
         <label>Policy ARN <input name=\"policy_arn\" id=\"policy_arn\" size=\"60\" required></label>\
         <button type=\"submit\" id=\"attach-policy\">Attach policy</button></form>",
        esc(base),
        csrf_field(csrf)
    )
}

/// The inline policies of an entity, each pretty-printed: `list` names them, `get` reads one.
async fn inline_policies(
    console: &Arc<Console>,
    req: &Req,
    session: &ConsoleSession,
    (list, get, name_member, name): (Action, Action, &str, &str),
    status: &mut StatusCode,
    body: &mut String,
) {
    body.push_str("<h2>Inline policies</h2>");
    let Some(listed) = fetch(
        console,
        req,
        session,
        list,
        json!({ name_member: name }),
        status,
        body,
    )
    .await
    else {
        return;
    };
    let names = items(&listed, "PolicyNames");
    if names.is_empty() {
        body.push_str("<p>No inline policies.</p>");
    }
    for policy in names {
        let policy = policy.as_str().unwrap_or_default();
        let _ = write!(body, "<h3>{}</h3>", esc(policy));
        if let Some(got) = fetch(
            console,
            req,
            session,
            get,
            json!({ name_member: name, "PolicyName": policy }),
            status,
            body,
        )
        .await
        {
            let _ = write!(
                body,
                "<pre class=\"policy\">{}</pre>",
                esc(&pretty(text(&got, "PolicyDocument").unwrap_or_default()))
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Users: detail, attach and detach

pub(crate) async fn user(
    State(console): State<Arc<Console>>,
    req: Req,
    Path(name): Path<String>,
) -> Response {
    let (_, session) = match signed_in(&console, &req) {
        Ok(found) => found,
        Err(elsewhere) => return elsewhere,
    };
    user_page(
        &console,
        &req,
        &session,
        &name,
        StatusCode::OK,
        String::new(),
    )
    .await
}

async fn user_page(
    console: &Arc<Console>,
    req: &Req,
    session: &ConsoleSession,
    name: &str,
    status: StatusCode,
    message: String,
) -> Response {
    if let Err(e) = validate("userName", name, (1, 128), name_char, "[\\w+=,.@-]+", false) {
        return show(status_of(&e), session, "Not found", &error(e.message()));
    }
    let mut status = status;
    let mut body = message;
    let input = json!({"UserName": name});
    if let Some(got) = fetch(
        console,
        req,
        session,
        Action::GetUser,
        input.clone(),
        &mut status,
        &mut body,
    )
    .await
    {
        let user = got.get("User").unwrap_or(&Value::Null);
        let _ = write!(
            body,
            "<p>ARN: <code id=\"user-arn\">{}</code><br>Created: {}<br>Password last used: {}</p>",
            esc(text(user, "Arn").unwrap_or_default()),
            esc(text(user, "CreateDate").unwrap_or_default()),
            esc(text(user, "PasswordLastUsed").unwrap_or("never")),
        );
    }
    body.push_str("<h2>Groups</h2>");
    if let Some(groups) = fetch(
        console,
        req,
        session,
        Action::ListGroupsForUser,
        input.clone(),
        &mut status,
        &mut body,
    )
    .await
    {
        let groups = items(&groups, "Groups");
        if groups.is_empty() {
            body.push_str("<p>In no group.</p>");
        } else {
            body.push_str("<ul>");
            for group in groups {
                let group = text(group, "GroupName").unwrap_or_default();
                let _ = write!(
                    body,
                    "<li><a href=\"/console/groups/{}\">{}</a></li>",
                    esc(&url(group)),
                    esc(group)
                );
            }
            body.push_str("</ul>");
        }
    }
    body.push_str("<h2>Attached managed policies</h2>");
    let base = format!("/console/users/{}", url(name));
    if let Some(attached) = fetch(
        console,
        req,
        session,
        Action::ListAttachedUserPolicies,
        input.clone(),
        &mut status,
        &mut body,
    )
    .await
    {
        body.push_str(&attached_table(
            &attached,
            &session.csrf,
            Some(&format!("{base}/detach")),
        ));
    }
    body.push_str(&attach_form(&base, &session.csrf));
    inline_policies(
        console,
        req,
        session,
        (
            Action::ListUserPolicies,
            Action::GetUserPolicy,
            "UserName",
            name,
        ),
        &mut status,
        &mut body,
    )
    .await;
    show(status, session, &format!("User {name}"), &body)
}

pub(crate) async fn attach_user_policy(
    State(console): State<Arc<Console>>,
    req: Req,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    user_policy_change(console, req, name, body, Action::AttachUserPolicy).await
}

pub(crate) async fn detach_user_policy(
    State(console): State<Arc<Console>>,
    req: Req,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    user_policy_change(console, req, name, body, Action::DetachUserPolicy).await
}

async fn user_policy_change(
    console: Arc<Console>,
    req: Req,
    name: String,
    body: Bytes,
    action: Action,
) -> Response {
    policy_change(console, req, name, body, action).await
}

/// Attaches or detaches (`action`) the managed policy a form names to the user, group or role
/// `name`, then shows the entity's page.
async fn policy_change(
    console: Arc<Console>,
    req: Req,
    name: String,
    body: Bytes,
    action: Action,
) -> Response {
    let fields = form(&body);
    let (_, session) = match posted(&console, &req, &fields, &[Stage::Active]) {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let arn = field(&fields, "policy_arn").trim();
    if let Err(e) = validate("policyArn", arn, (20, 2048), |_| true, "", false) {
        let message = error(e.message());
        return match action {
            Action::AttachGroupPolicy | Action::DetachGroupPolicy => {
                group_page(&console, &req, &session, &name, status_of(&e), message).await
            }
            Action::AttachRolePolicy | Action::DetachRolePolicy => {
                role_page(&console, &req, &session, &name, status_of(&e), message).await
            }
            _ => user_page(&console, &req, &session, &name, status_of(&e), message).await,
        };
    }
    let member = match action {
        Action::AttachGroupPolicy | Action::DetachGroupPolicy => "GroupName",
        Action::AttachRolePolicy | Action::DetachRolePolicy => "RoleName",
        _ => "UserName",
    };
    let attaching = matches!(
        action,
        Action::AttachUserPolicy | Action::AttachGroupPolicy | Action::AttachRolePolicy
    );
    let input = json!({ member: name, "PolicyArn": arn });
    let (status, message) = match call(&console, &req, &session, action, input).await {
        Ok(_) if attaching => (
            StatusCode::OK,
            notice(&format!("Policy {arn} was attached.")),
        ),
        Ok(_) => (
            StatusCode::OK,
            notice(&format!("Policy {arn} was detached.")),
        ),
        Err(e) => (status_of(&e), error(e.message())),
    };
    match member {
        "GroupName" => group_page(&console, &req, &session, &name, status, message).await,
        "RoleName" => role_page(&console, &req, &session, &name, status, message).await,
        _ => user_page(&console, &req, &session, &name, status, message).await,
    }
}

pub(crate) async fn attach_group_policy(
    State(console): State<Arc<Console>>,
    req: Req,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    policy_change(console, req, name, body, Action::AttachGroupPolicy).await
}

pub(crate) async fn detach_group_policy(
    State(console): State<Arc<Console>>,
    req: Req,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    policy_change(console, req, name, body, Action::DetachGroupPolicy).await
}

pub(crate) async fn attach_role_policy(
    State(console): State<Arc<Console>>,
    req: Req,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    policy_change(console, req, name, body, Action::AttachRolePolicy).await
}

pub(crate) async fn detach_role_policy(
    State(console): State<Arc<Console>>,
    req: Req,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    policy_change(console, req, name, body, Action::DetachRolePolicy).await
}

// ---------------------------------------------------------------------------------------
// Groups

pub(crate) async fn groups(
    State(console): State<Arc<Console>>,
    req: Req,
    RawQuery(query): RawQuery,
) -> Response {
    let (_, session) = match signed_in(&console, &req) {
        Ok(found) => found,
        Err(elsewhere) => return elsewhere,
    };
    groups_page(
        &console,
        &req,
        &session,
        StatusCode::OK,
        String::new(),
        &filter_of(query),
    )
    .await
}

async fn groups_page(
    console: &Arc<Console>,
    req: &Req,
    session: &ConsoleSession,
    status: StatusCode,
    message: String,
    filter: &str,
) -> Response {
    let mut status = status;
    let mut body = message;
    body.push_str(&filter_form("/console/groups", filter));
    let csrf = csrf_field(&session.csrf);
    if let Some(listed) = fetch(
        console,
        req,
        session,
        Action::ListGroups,
        json!({"MaxItems": 1000}),
        &mut status,
        &mut body,
    )
    .await
    {
        let wanted = filter.to_lowercase();
        let groups: Vec<&Value> = items(&listed, "Groups")
            .iter()
            .filter(|g| passes(text(g, "GroupName").unwrap_or_default(), &wanted))
            .collect();
        if groups.is_empty() {
            body.push_str("<p id=\"no-groups\">No groups.</p>");
        } else {
            body.push_str("<table id=\"groups\"><tr><th>Group name</th><th>ARN</th><th>Created</th><th></th></tr>");
            for group in groups {
                let name = text(group, "GroupName").unwrap_or_default();
                let _ = write!(
                    body,
                    "<tr><td class=\"group-name\"><a href=\"/console/groups/{}\">{}</a></td><td><code>{}</code></td><td>{}</td><td>\
                     <form class=\"inline\" method=\"post\" action=\"/console/groups/delete\">{csrf}\
                     <input type=\"hidden\" name=\"group_name\" value=\"{}\">\
                     <button type=\"submit\">Delete</button></form></td></tr>",
                    esc(&url(name)),
                    esc(name),
                    esc(text(group, "Arn").unwrap_or_default()),
                    esc(text(group, "CreateDate").unwrap_or_default()),
                    esc(name),
                );
            }
            body.push_str("</table>");
        }
    }
    let _ = write!(
        body,
        "<h2>Create a group</h2><form method=\"post\" action=\"/console/groups\" id=\"create-group-form\">{csrf}\
         <label>Group name <input name=\"group_name\" id=\"new-group-name\" required></label>\
         <button type=\"submit\" id=\"create-group\">Create group</button></form>"
    );
    show(status, session, "Groups", &body)
}

pub(crate) async fn create_group(
    State(console): State<Arc<Console>>,
    req: Req,
    body: Bytes,
) -> Response {
    group_change(console, req, body, Action::CreateGroup).await
}

pub(crate) async fn delete_group(
    State(console): State<Arc<Console>>,
    req: Req,
    body: Bytes,
) -> Response {
    group_change(console, req, body, Action::DeleteGroup).await
}

/// A group name as AWS's model allows one: 1 to 128 of `[\w+=,.@-]`.
fn check_group_name(name: &str) -> Result<(), Error> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c);
    if name.is_empty() || name.chars().count() > 128 || !name.chars().all(allowed) {
        return Err(Error::ValidationError(format!(
            "1 validation error detected: Value '{name}' at 'groupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+ and have length between 1 and 128"
        )));
    }
    Ok(())
}

async fn group_change(console: Arc<Console>, req: Req, body: Bytes, action: Action) -> Response {
    let fields = form(&body);
    let (_, session) = match posted(&console, &req, &fields, &[Stage::Active]) {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let name = field(&fields, "group_name").trim();
    let outcome = match check_group_name(name) {
        Ok(()) => call(&console, &req, &session, action, json!({"GroupName": name}))
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    let (status, message) = match outcome {
        Ok(()) if action == Action::CreateGroup => (
            StatusCode::OK,
            notice(&format!("Group {name} was created.")),
        ),
        Ok(()) => (
            StatusCode::OK,
            notice(&format!("Group {name} was deleted.")),
        ),
        Err(e) => (status_of(&e), error(e.message())),
    };
    groups_page(&console, &req, &session, status, message, "").await
}

pub(crate) async fn group(
    State(console): State<Arc<Console>>,
    req: Req,
    Path(name): Path<String>,
) -> Response {
    let (_, session) = match signed_in(&console, &req) {
        Ok(found) => found,
        Err(elsewhere) => return elsewhere,
    };
    group_page(
        &console,
        &req,
        &session,
        &name,
        StatusCode::OK,
        String::new(),
    )
    .await
}

async fn group_page(
    console: &Arc<Console>,
    req: &Req,
    session: &ConsoleSession,
    name: &str,
    status: StatusCode,
    message: String,
) -> Response {
    if let Err(e) = validate(
        "groupName",
        name,
        (1, 128),
        name_char,
        "[\\w+=,.@-]+",
        false,
    ) {
        return show(status_of(&e), session, "Not found", &error(e.message()));
    }
    let mut status = status;
    let mut body = message;
    let base = format!("/console/groups/{}", url(name));
    let input = json!({"GroupName": name});
    if let Some(got) = fetch(
        console,
        req,
        session,
        Action::GetGroup,
        input.clone(),
        &mut status,
        &mut body,
    )
    .await
    {
        let group = got.get("Group").unwrap_or(&Value::Null);
        let _ = write!(
            body,
            "<p>ARN: <code id=\"group-arn\">{}</code><br>Created: {}</p><h2>Members</h2>",
            esc(text(group, "Arn").unwrap_or_default()),
            esc(text(group, "CreateDate").unwrap_or_default()),
        );
        let users = items(&got, "Users");
        if users.is_empty() {
            body.push_str("<p>No members.</p>");
        } else {
            body.push_str("<ul id=\"members\">");
            for user in users {
                let user = text(user, "UserName").unwrap_or_default();
                let _ = write!(
                    body,
                    "<li><a href=\"/console/users/{}\">{}</a></li>",
                    esc(&url(user)),
                    esc(user)
                );
            }
            body.push_str("</ul>");
        }
    }
    body.push_str("<h2>Attached managed policies</h2>");
    if let Some(attached) = fetch(
        console,
        req,
        session,
        Action::ListAttachedGroupPolicies,
        input,
        &mut status,
        &mut body,
    )
    .await
    {
        body.push_str(&attached_table(
            &attached,
            &session.csrf,
            Some(&format!("{base}/detach")),
        ));
    }
    body.push_str(&attach_form(&base, &session.csrf));
    inline_policies(
        console,
        req,
        session,
        (
            Action::ListGroupPolicies,
            Action::GetGroupPolicy,
            "GroupName",
            name,
        ),
        &mut status,
        &mut body,
    )
    .await;
    show(status, session, &format!("Group {name}"), &body)
}

// ---------------------------------------------------------------------------------------
// Roles

pub(crate) async fn roles(
    State(console): State<Arc<Console>>,
    req: Req,
    RawQuery(query): RawQuery,
) -> Response {
    let (_, session) = match signed_in(&console, &req) {
        Ok(found) => found,
        Err(elsewhere) => return elsewhere,
    };
    let filter = filter_of(query);
    let mut status = StatusCode::OK;
    let mut body = filter_form("/console/roles", &filter);
    if let Some(listed) = fetch(
        &console,
        &req,
        &session,
        Action::ListRoles,
        json!({"MaxItems": 1000}),
        &mut status,
        &mut body,
    )
    .await
    {
        let wanted = filter.to_lowercase();
        let roles: Vec<&Value> = items(&listed, "Roles")
            .iter()
            .filter(|r| passes(text(r, "RoleName").unwrap_or_default(), &wanted))
            .collect();
        if roles.is_empty() {
            body.push_str("<p id=\"no-roles\">No roles.</p>");
        } else {
            body.push_str(
                "<table id=\"roles\"><tr><th>Role name</th><th>ARN</th><th>Created</th></tr>",
            );
            for role in roles {
                let name = text(role, "RoleName").unwrap_or_default();
                let _ = write!(
                    body,
                    "<tr><td class=\"role-name\"><a href=\"/console/roles/{}\">{}</a></td><td><code>{}</code></td><td>{}</td></tr>",
                    esc(&url(name)),
                    esc(name),
                    esc(text(role, "Arn").unwrap_or_default()),
                    esc(text(role, "CreateDate").unwrap_or_default()),
                );
            }
            body.push_str("</table>");
        }
    }
    show(status, &session, "Roles", &body)
}

pub(crate) async fn role(
    State(console): State<Arc<Console>>,
    req: Req,
    Path(name): Path<String>,
) -> Response {
    let (_, session) = match signed_in(&console, &req) {
        Ok(found) => found,
        Err(elsewhere) => return elsewhere,
    };
    role_page(
        &console,
        &req,
        &session,
        &name,
        StatusCode::OK,
        String::new(),
    )
    .await
}

async fn role_page(
    console: &Arc<Console>,
    req: &Req,
    session: &ConsoleSession,
    name: &str,
    status: StatusCode,
    message: String,
) -> Response {
    if let Err(e) = validate("roleName", name, (1, 64), name_char, "[\\w+=,.@-]+", false) {
        return show(status_of(&e), session, "Not found", &error(e.message()));
    }
    let mut status = status;
    let mut body = message;
    let base = format!("/console/roles/{}", url(name));
    let input = json!({"RoleName": name});
    if let Some(got) = fetch(
        console,
        req,
        session,
        Action::GetRole,
        input.clone(),
        &mut status,
        &mut body,
    )
    .await
    {
        let role = got.get("Role").unwrap_or(&Value::Null);
        let _ = write!(
            body,
            "<p>ARN: <code id=\"role-arn\">{}</code><br>Created: {}<br>Description: {}</p>\
             <h2>Trust policy</h2><pre class=\"policy\" id=\"trust-policy\">{}</pre>",
            esc(text(role, "Arn").unwrap_or_default()),
            esc(text(role, "CreateDate").unwrap_or_default()),
            esc(text(role, "Description").unwrap_or_default()),
            esc(&pretty(
                text(role, "AssumeRolePolicyDocument").unwrap_or_default()
            )),
        );
    }
    body.push_str("<h2>Attached managed policies</h2>");
    if let Some(attached) = fetch(
        console,
        req,
        session,
        Action::ListAttachedRolePolicies,
        input,
        &mut status,
        &mut body,
    )
    .await
    {
        body.push_str(&attached_table(
            &attached,
            &session.csrf,
            Some(&format!("{base}/detach")),
        ));
    }
    body.push_str(&attach_form(&base, &session.csrf));
    inline_policies(
        console,
        req,
        session,
        (
            Action::ListRolePolicies,
            Action::GetRolePolicy,
            "RoleName",
            name,
        ),
        &mut status,
        &mut body,
    )
    .await;
    show(status, session, &format!("Role {name}"), &body)
}

// ---------------------------------------------------------------------------------------
// Managed policies

pub(crate) async fn policies(
    State(console): State<Arc<Console>>,
    req: Req,
    RawQuery(query): RawQuery,
) -> Response {
    let (_, session) = match signed_in(&console, &req) {
        Ok(found) => found,
        Err(elsewhere) => return elsewhere,
    };
    let query = form(query.unwrap_or_default().as_bytes());
    let filter = query.get("filter").cloned().unwrap_or_default();
    let scope = match query.get("scope").map(String::as_str) {
        Some("All") => "All",
        Some("AWS") => "AWS",
        _ => "Local",
    };
    let mut status = StatusCode::OK;
    let mut body = String::new();
    let _ = write!(
        body,
        "<form method=\"get\" action=\"/console/policies\" id=\"filter-form\">\
         <label>Filter by name <input name=\"filter\" id=\"filter\" value=\"{}\"></label>\
         <label>Scope <select name=\"scope\" id=\"scope\">",
        esc(&filter)
    );
    for (value, label) in [
        ("Local", "Customer managed"),
        ("AWS", "AWS managed"),
        ("All", "All"),
    ] {
        let selected = if value == scope { " selected" } else { "" };
        let _ = write!(body, "<option value=\"{value}\"{selected}>{label}</option>");
    }
    body.push_str("</select></label><button type=\"submit\">Filter</button></form>");
    let input = json!({"Scope": scope, "MaxItems": 1000});
    if let Some(listed) = fetch(
        &console,
        &req,
        &session,
        Action::ListPolicies,
        input,
        &mut status,
        &mut body,
    )
    .await
    {
        let wanted = filter.to_lowercase();
        let policies: Vec<&Value> = items(&listed, "Policies")
            .iter()
            .filter(|p| passes(text(p, "PolicyName").unwrap_or_default(), &wanted))
            .collect();
        if policies.is_empty() {
            body.push_str("<p id=\"no-policies\">No policies.</p>");
        } else {
            body.push_str("<table id=\"policies\"><tr><th>Policy name</th><th>ARN</th><th>Attachments</th></tr>");
            for policy in policies {
                let arn = text(policy, "Arn").unwrap_or_default();
                let _ = write!(
                    body,
                    "<tr><td class=\"policy-name\"><a href=\"/console/policies/view?arn={}\">{}</a></td><td><code>{}</code></td><td>{}</td></tr>",
                    esc(&url(arn)),
                    esc(text(policy, "PolicyName").unwrap_or_default()),
                    esc(arn),
                    policy
                        .get("AttachmentCount")
                        .and_then(Value::as_i64)
                        .unwrap_or_default(),
                );
            }
            body.push_str("</table>");
        }
    }
    show(status, &session, "Policies", &body)
}

pub(crate) async fn policy(
    State(console): State<Arc<Console>>,
    req: Req,
    RawQuery(query): RawQuery,
) -> Response {
    let (_, session) = match signed_in(&console, &req) {
        Ok(found) => found,
        Err(elsewhere) => return elsewhere,
    };
    let arn = form(query.unwrap_or_default().as_bytes())
        .remove("arn")
        .unwrap_or_default();
    let mut status = StatusCode::OK;
    let mut body = String::new();
    let mut title = "Policy".to_owned();
    if let Err(e) = validate("policyArn", &arn, (20, 2048), |_| true, "", false) {
        body.push_str(&error(e.message()));
        return show(status_of(&e), &session, &title, &body);
    }
    if let Some(got) = fetch(
        &console,
        &req,
        &session,
        Action::GetPolicy,
        json!({"PolicyArn": arn}),
        &mut status,
        &mut body,
    )
    .await
    {
        let policy = got.get("Policy").unwrap_or(&Value::Null);
        title = format!("Policy {}", text(policy, "PolicyName").unwrap_or_default());
        let version = text(policy, "DefaultVersionId")
            .unwrap_or_default()
            .to_owned();
        let _ = write!(
            body,
            "<p>ARN: <code id=\"policy-arn\">{}</code><br>Default version: {}<br>Attachments: {}<br>Description: {}</p>",
            esc(&arn),
            esc(&version),
            policy
                .get("AttachmentCount")
                .and_then(Value::as_i64)
                .unwrap_or_default(),
            esc(text(policy, "Description").unwrap_or_default()),
        );
        let input = json!({"PolicyArn": arn, "VersionId": version});
        if let Some(got) = fetch(
            &console,
            &req,
            &session,
            Action::GetPolicyVersion,
            input,
            &mut status,
            &mut body,
        )
        .await
        {
            let document = got
                .get("PolicyVersion")
                .and_then(|v| text(v, "Document"))
                .unwrap_or_default();
            let _ = write!(
                body,
                "<h2>Policy document</h2><pre class=\"policy\" id=\"policy-document\">{}</pre>",
                esc(&pretty(document))
            );
        }
    }
    show(status, &session, &title, &body)
}

// ---------------------------------------------------------------------------------------
// The policy simulator

/// At most this many actions and this many resources per simulation from the console.
const MAX_SIMULATED: usize = 20;

/// The words of `text` split at commas and white space.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// SimulatePrincipalPolicy for a principal (the signed-in one by default), actions and
/// resources: the same simulator as the API, authorized as the API authorizes it.
pub(crate) async fn simulate(
    State(console): State<Arc<Console>>,
    req: Req,
    RawQuery(query): RawQuery,
) -> Response {
    let (_, session) = match signed_in(&console, &req) {
        Ok(found) => found,
        Err(elsewhere) => return elsewhere,
    };
    let query = form(query.unwrap_or_default().as_bytes());
    let principal = query
        .get("policy_source_arn")
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| session.sign_in.arn.clone());
    let actions_text = query.get("action_names").cloned().unwrap_or_default();
    let resources_text = query.get("resource_arns").cloned().unwrap_or_default();
    let mut status = StatusCode::OK;
    let mut body = format!(
        "<form method=\"get\" action=\"/console/simulate\" id=\"simulate-form\">\
         <label>Principal ARN <input name=\"policy_source_arn\" id=\"policy_source_arn\" size=\"60\" value=\"{}\"></label>\
         <label>Actions (separated by spaces or commas) <input name=\"action_names\" id=\"action_names\" size=\"60\" value=\"{}\" required></label>\
         <label>Resource ARNs (optional; <code>*</code> when empty) <input name=\"resource_arns\" id=\"resource_arns\" size=\"60\" value=\"{}\"></label>\
         <button type=\"submit\" id=\"run-simulation\">Simulate</button></form>",
        esc(&principal),
        esc(&actions_text),
        esc(&resources_text),
    );
    let actions = words(&actions_text);
    let resources = words(&resources_text);
    if actions.is_empty() {
        return show(status, &session, "Policy simulator", &body);
    }
    if actions.len() > MAX_SIMULATED || resources.len() > MAX_SIMULATED {
        body.push_str(&error(&format!(
            "The console simulates at most {MAX_SIMULATED} actions and {MAX_SIMULATED} resources at once."
        )));
        return show(StatusCode::BAD_REQUEST, &session, "Policy simulator", &body);
    }
    let mut valid = validate(
        "policySourceArn",
        &principal,
        (20, 2048),
        |_| true,
        "",
        false,
    );
    for action in &actions {
        valid = valid
            .and_then(|()| validate("actionNames.member", action, (3, 128), |_| true, "", false));
    }
    for resource in &resources {
        valid = valid.and_then(|()| {
            validate(
                "resourceArns.member",
                resource,
                (1, 2048),
                |_| true,
                "",
                false,
            )
        });
    }
    if let Err(e) = valid {
        body.push_str(&error(e.message()));
        return show(status_of(&e), &session, "Policy simulator", &body);
    }
    let input = if resources.is_empty() {
        json!({"PolicySourceArn": principal, "ActionNames": actions})
    } else {
        json!({"PolicySourceArn": principal, "ActionNames": actions, "ResourceArns": resources})
    };
    let permit = console.heavy.acquire().await.ok();
    let simulated = fetch(
        &console,
        &req,
        &session,
        Action::SimulatePrincipalPolicy,
        input,
        &mut status,
        &mut body,
    )
    .await;
    drop(permit);
    if let Some(simulated) = simulated {
        body.push_str(
            "<table id=\"simulation\"><tr><th>Action</th><th>Resource</th><th>Decision</th><th>Matched statements</th></tr>",
        );
        for result in items(&simulated, "EvaluationResults") {
            let matched: Vec<String> = items(result, "MatchedStatements")
                .iter()
                .map(|m| esc(text(m, "SourcePolicyId").unwrap_or_default()))
                .collect();
            let _ = write!(
                body,
                "<tr><td>{}</td><td><code>{}</code></td><td class=\"decision\">{}</td><td>{}</td></tr>",
                esc(text(result, "EvalActionName").unwrap_or_default()),
                esc(text(result, "EvalResourceName").unwrap_or_default()),
                esc(text(result, "EvalDecision").unwrap_or_default()),
                matched.join("<br>"),
            );
        }
        body.push_str("</table>");
    }
    show(status, &session, "Policy simulator", &body)
}

#[cfg(test)]
mod tests {
    #[test]
    fn documents_are_pretty_printed() {
        let compact = r#"{"Version":"2012-10-17","Statement":[]}"#;
        assert_eq!(
            super::pretty(compact),
            "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": []\n}"
        );
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%7D";
        assert_eq!(
            super::pretty(encoded),
            "{\n  \"Version\": \"2012-10-17\"\n}"
        );
        assert_eq!(super::pretty("not json"), "not json");
        let spaced = "{ \"A\" : [ 1 , {\"b\":\"x, \\\"y\\\" {\"} ] , \"C\": {} }";
        assert_eq!(
            super::pretty(spaced),
            "{\n  \"A\": [\n    1,\n    {\n      \"b\": \"x, \\\"y\\\" {\"\n    }\n  ],\n  \"C\": {}\n}"
        );
    }
}
