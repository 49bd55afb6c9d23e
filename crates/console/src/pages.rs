//! The console's pages: sign-in (password, MFA code, forced password change), sign-out, my
//! security credentials and users. Each page past sign-in runs its IAM operation through
//! [`Service::call`] as the session's caller.

#![allow(
    clippy::result_large_err,
    reason = "a refusal is the response answered at once, not an error passed up"
)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};
use warden_core::time::iso8601;
use warden_core::{Action, Error, Identity, PasswordChange, SignIn, SignInError};

use crate::html::{csrf_field, error, esc, notice, page};
use crate::sessions::{ConsoleSession, Stage, random_token, tokens_match};
use crate::{
    Console, Req, SESSION_COOKIE, SIGN_IN_COOKIE, cookie, forbidden, form, redirect, respond,
};

/// The one answer to a refused sign-in, whatever was wrong, so that it tells nothing about
/// which users exist or are locked.
pub const SIGN_IN_REFUSED: &str = "Your authentication information is incorrect, or this user's sign-in is locked for 15 minutes after five failed attempts. Please try again.";

/// Runs `f` on a blocking thread (password hashing, writes), never on an async worker.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    tokio::task::spawn_blocking(f).await.ok()
}

/// The HTTP status a refused operation is shown with.
pub(crate) fn status_of(e: &Error) -> StatusCode {
    match e {
        Error::AccessDenied(_) | Error::InvalidClientTokenId(_) => StatusCode::FORBIDDEN,
        Error::NoSuchEntity(_) => StatusCode::NOT_FOUND,
        Error::EntityAlreadyExists(_) | Error::DeleteConflict(_) => StatusCode::CONFLICT,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// Runs `action` with `input` as `session`'s caller, on a blocking thread.
pub(crate) async fn call(
    console: &Arc<Console>,
    req: &Req,
    session: &ConsoleSession,
    action: Action,
    input: Value,
) -> Result<Value, Error> {
    let caller = session.caller();
    let info = req.info(console);
    let service = Arc::clone(&console.service);
    blocking(move || service.call(&caller, &info, action, input))
        .await
        .unwrap_or_else(|| Err(Error::Internal("the console's call stopped".to_owned())))
}

/// The session the request's cookie names, if live (its last use is now).
fn current(console: &Console, req: &Req) -> Option<(String, ConsoleSession)> {
    let id = req.session_id.as_deref()?;
    let session = console.sessions.touch(id, console.now())?;
    Some((id.to_owned(), session))
}

/// The signed-in session for a page, or where to go instead.
pub(crate) fn signed_in(
    console: &Console,
    req: &Req,
) -> Result<(String, ConsoleSession), Response> {
    match current(console, req) {
        None => Err(redirect("/console/signin", &[])),
        Some((_, s)) if s.stage == Stage::Mfa => Err(redirect("/console/mfa", &[])),
        Some((_, s)) if s.stage == Stage::ChangePassword => Err(redirect("/console/password", &[])),
        Some(found) => Ok(found),
    }
}

/// The session for a state-changing form at one of `stages`: a missing session or CSRF
/// token is a 403.
pub(crate) fn posted(
    console: &Console,
    req: &Req,
    fields: &HashMap<String, String>,
    stages: &[Stage],
) -> Result<(String, ConsoleSession), Response> {
    let Some((id, session)) = current(console, req) else {
        return Err(forbidden());
    };
    let token = fields.get("csrf").map_or("", String::as_str);
    if !session.csrf_matches(token) {
        return Err(forbidden());
    }
    if !stages.contains(&session.stage) {
        return Err(redirect("/console", &[]));
    }
    Ok((id, session))
}

/// The text member `name` of `value`, if there is one.
pub(crate) fn text<'v>(value: &'v Value, name: &str) -> Option<&'v str> {
    value.get(name).and_then(Value::as_str)
}

pub(crate) fn field<'f>(fields: &'f HashMap<String, String>, name: &str) -> &'f str {
    fields.get(name).map_or("", String::as_str)
}

/// A signed-in page.
pub(crate) fn show(
    status: StatusCode,
    session: &ConsoleSession,
    title: &str,
    body: &str,
) -> Response {
    respond(
        status,
        page(title, Some((&session.sign_in.arn, &session.csrf)), body),
        None,
    )
}

// ---------------------------------------------------------------------------------------
// Sign-in

pub(crate) async fn home(State(console): State<Arc<Console>>, req: Req) -> Response {
    if current(&console, &req).is_none() {
        return sign_in_page(&console, &req, StatusCode::OK, "", "");
    }
    let (_, session) = match signed_in(&console, &req) {
        Ok(found) => found,
        Err(elsewhere) => return elsewhere,
    };
    let mfa = match session.mfa_time {
        Some(t) => format!("with MFA at {}", iso8601(t)),
        None => "without MFA".to_owned(),
    };
    let body = format!(
        "<p>Signed in as <code>{}</code>, {} at {}.</p><ul>\
         <li><a href=\"/console/credentials\">My security credentials</a></li>\
         <li><a href=\"/console/users\">Users</a></li><li><a href=\"/console/groups\">Groups</a></li>\
         <li><a href=\"/console/roles\">Roles</a></li><li><a href=\"/console/policies\">Policies</a></li></ul>",
        esc(&session.sign_in.arn),
        esc(&mfa),
        iso8601(session.created),
    );
    show(StatusCode::OK, &session, "Warden console", &body)
}

pub(crate) async fn sign_in_form(State(console): State<Arc<Console>>, req: Req) -> Response {
    if current(&console, &req).is_some() {
        return redirect("/console", &[]);
    }
    sign_in_page(&console, &req, StatusCode::OK, "", "")
}

/// The sign-in form, with `message` (an error) and the account to fill in again; it sets the
/// double-submitted CSRF cookie when the browser has none.
fn sign_in_page(
    console: &Console,
    req: &Req,
    status: StatusCode,
    message: &str,
    account: &str,
) -> Response {
    let existing = req
        .sign_in_token
        .as_deref()
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()));
    let (token, set) = match existing {
        Some(token) => (token.to_owned(), None),
        None => {
            let token = random_token().unwrap_or_default();
            let set = cookie(console, SIGN_IN_COOKIE, Some(&token));
            (token, Some(set))
        }
    };
    let message = if message.is_empty() {
        String::new()
    } else {
        error(message)
    };
    let body = format!(
        "{message}<form method=\"post\" action=\"/console/signin\" id=\"sign-in-form\">{}\
         <label>Account ID or alias <input name=\"account\" id=\"account\" value=\"{}\" required></label>\
         <label>User name (<code>root</code> for the root user) <input name=\"username\" id=\"username\" autocomplete=\"username\" required></label>\
         <label>Password <input type=\"password\" name=\"password\" id=\"password\" autocomplete=\"current-password\" required></label>\
         <button type=\"submit\" id=\"sign-in\">Sign in</button></form>",
        csrf_field(&token),
        esc(account),
    );
    respond(status, page("Sign in", None, &body), set)
}

pub(crate) async fn sign_in(
    State(console): State<Arc<Console>>,
    req: Req,
    body: Bytes,
) -> Response {
    let fields = form(&body);
    let expected = req.sign_in_token.as_deref().unwrap_or("");
    if !tokens_match(expected, field(&fields, "csrf")) {
        return forbidden();
    }
    let account = field(&fields, "account").trim().to_owned();
    let user_name = field(&fields, "username").trim().to_owned();
    let password = field(&fields, "password").to_owned();
    let now = console.now();
    // The principal's key is looked up for anyone (one read); the password is checked for
    // anyone, locked or not, so an answer takes the same time whatever it is.
    let permit = console.heavy.acquire().await.ok();
    let checked = {
        let console = Arc::clone(&console);
        blocking(move || {
            let key = console.service.sign_in_key(&account, &user_name);
            let outcome = console
                .service
                .check_sign_in(&account, &user_name, &password);
            (key, outcome)
        })
        .await
    };
    drop(permit);
    let account = field(&fields, "account").trim();
    let Some((key, outcome)) = checked else {
        return sign_in_page(
            &console,
            &req,
            StatusCode::INTERNAL_SERVER_ERROR,
            "Signing in failed inside Warden. Please try again.",
            account,
        );
    };
    let locked = key
        .as_deref()
        .is_some_and(|k| console.lockouts.locked(k, now));
    let signed = match outcome {
        Ok(_) if locked => None,
        Ok(signed) => Some(signed),
        Err(SignInError::WrongCredentials) => {
            if let Some(key) = &key {
                console.lockouts.failed(key, now);
            }
            None
        }
        Err(SignInError::PasswordExpired) if !locked => {
            return sign_in_page(
                &console,
                &req,
                StatusCode::UNAUTHORIZED,
                "Your password has expired. An administrator must reset it.",
                account,
            );
        }
        Err(SignInError::PasswordExpired) => None,
        Err(SignInError::Internal(e)) => {
            tracing::error!(error = %e, "console sign-in failed");
            return sign_in_page(
                &console,
                &req,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Signing in failed inside Warden. Please try again.",
                account,
            );
        }
    };
    let Some(signed) = signed else {
        return sign_in_page(
            &console,
            &req,
            StatusCode::UNAUTHORIZED,
            SIGN_IN_REFUSED,
            account,
        );
    };
    if let Some(key) = &key {
        console.lockouts.succeeded(key);
    }
    let has_mfa = match console.service.mfa_devices_of(&signed.caller) {
        Ok(devices) => !devices.is_empty(),
        Err(e) => {
            tracing::error!(error = %e, "console sign-in failed");
            return sign_in_page(
                &console,
                &req,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Signing in failed inside Warden. Please try again.",
                account,
            );
        }
    };
    let stage = if has_mfa {
        Stage::Mfa
    } else if signed.password_change.is_some() {
        Stage::ChangePassword
    } else {
        Stage::Active
    };
    if stage == Stage::Active {
        record(&console, &signed).await;
    }
    start(&console, &req, signed, stage, now)
}

/// Starts a session at `stage` (a new id, so no id set before sign-in survives it) and
/// sends the browser on.
fn start(console: &Console, req: &Req, signed: SignIn, stage: Stage, now: i64) -> Response {
    if let Some(old) = &req.session_id {
        console.sessions.end(old);
    }
    let Some(csrf) = random_token() else {
        return sign_in_page(
            console,
            req,
            StatusCode::SERVICE_UNAVAILABLE,
            "Signing in failed inside Warden. Please try again.",
            "",
        );
    };
    let next = match stage {
        Stage::Mfa => "/console/mfa",
        Stage::ChangePassword => "/console/password",
        Stage::Active => "/console",
    };
    let session = ConsoleSession {
        stage,
        sign_in: signed,
        mfa_time: None,
        csrf,
        created: now,
        last_seen: now,
    };
    match console.sessions.start(session, now) {
        Some(id) => redirect(next, &[cookie(console, SESSION_COOKIE, Some(&id))]),
        None => sign_in_page(
            console,
            req,
            StatusCode::SERVICE_UNAVAILABLE,
            "Too many people are signed in. Please try again later.",
            "",
        ),
    }
}

/// Records a completed sign-in (the user's PasswordLastUsed).
async fn record(console: &Arc<Console>, signed: &SignIn) {
    let service = Arc::clone(&console.service);
    let signed = signed.clone();
    if let Some(Err(e)) = blocking(move || service.record_sign_in(&signed)).await {
        tracing::warn!(error = %e, "console sign-in not recorded");
    }
}

pub(crate) async fn mfa_form(State(console): State<Arc<Console>>, req: Req) -> Response {
    match current(&console, &req) {
        Some((_, session)) if session.stage == Stage::Mfa => mfa_page(&session, StatusCode::OK, ""),
        Some(_) => redirect("/console", &[]),
        None => redirect("/console/signin", &[]),
    }
}

fn mfa_page(session: &ConsoleSession, status: StatusCode, message: &str) -> Response {
    let message = if message.is_empty() {
        String::new()
    } else {
        error(message)
    };
    let body = format!(
        "{message}<p>Enter the current code of your MFA device.</p>\
         <form method=\"post\" action=\"/console/mfa\" id=\"mfa-form\">{}\
         <label>MFA code <input name=\"mfa_code\" id=\"mfa_code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" required></label>\
         <button type=\"submit\" id=\"submit-mfa\">Submit</button></form>",
        csrf_field(&session.csrf),
    );
    show(status, session, "Multi-factor authentication", &body)
}

pub(crate) async fn mfa(State(console): State<Arc<Console>>, req: Req, body: Bytes) -> Response {
    let fields = form(&body);
    let (id, session) = match posted(&console, &req, &fields, &[Stage::Mfa]) {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let code = field(&fields, "mfa_code").trim().to_owned();
    let wrong = "The MFA code is not valid. Enter the current code of your MFA device.";
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return mfa_page(&session, StatusCode::UNAUTHORIZED, wrong);
    }
    let checked = {
        let service = Arc::clone(&console.service);
        let caller = session.sign_in.caller.clone();
        blocking(move || service.use_sign_in_mfa_code(&caller, &code)).await
    };
    let mfa_time = match checked {
        Some(Ok(t)) => t,
        Some(Err(Error::Internal(e))) => {
            tracing::error!(error = %e, "console MFA check failed");
            return mfa_page(
                &session,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Checking the code failed inside Warden.",
            );
        }
        _ => return mfa_page(&session, StatusCode::UNAUTHORIZED, wrong),
    };
    let stage = if session.sign_in.password_change.is_some() {
        Stage::ChangePassword
    } else {
        Stage::Active
    };
    if stage == Stage::Active {
        record(&console, &session.sign_in).await;
    }
    let next = if stage == Stage::Active {
        "/console"
    } else {
        "/console/password"
    };
    console.sessions.update(&id, |s| {
        s.mfa_time = Some(mfa_time);
        s.stage = stage;
    });
    redirect(next, &[])
}

pub(crate) async fn password_form(State(console): State<Arc<Console>>, req: Req) -> Response {
    match current(&console, &req) {
        Some((_, s)) if s.stage == Stage::Mfa => redirect("/console/mfa", &[]),
        Some((_, session)) => password_page(&session, StatusCode::OK, ""),
        None => redirect("/console/signin", &[]),
    }
}

fn password_page(session: &ConsoleSession, status: StatusCode, message: &str) -> Response {
    let why = match (&session.stage, session.sign_in.password_change) {
        (Stage::ChangePassword, Some(PasswordChange::Expired)) => {
            "<p id=\"why\">Your password has expired. Choose a new password to continue.</p>"
        }
        (Stage::ChangePassword, _) => {
            "<p id=\"why\">You must change your password before you continue.</p>"
        }
        _ => "",
    };
    let message = if message.is_empty() {
        String::new()
    } else {
        error(message)
    };
    let body = format!(
        "{message}{why}<form method=\"post\" action=\"/console/password\" id=\"password-form\">{}\
         <label>Current password <input type=\"password\" name=\"old_password\" id=\"old_password\" autocomplete=\"current-password\" required></label>\
         <label>New password <input type=\"password\" name=\"new_password\" id=\"new_password\" autocomplete=\"new-password\" required></label>\
         <label>Confirm new password <input type=\"password\" name=\"confirm_password\" id=\"confirm_password\" autocomplete=\"new-password\" required></label>\
         <button type=\"submit\" id=\"change-password\">Change password</button></form>",
        csrf_field(&session.csrf),
    );
    show(status, session, "Change password", &body)
}

pub(crate) async fn change_password(
    State(console): State<Arc<Console>>,
    req: Req,
    body: Bytes,
) -> Response {
    let fields = form(&body);
    let stages = [Stage::ChangePassword, Stage::Active];
    let (id, session) = match posted(&console, &req, &fields, &stages) {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let new = field(&fields, "new_password");
    if new != field(&fields, "confirm_password") {
        return password_page(
            &session,
            StatusCode::BAD_REQUEST,
            "The new password and its confirmation do not match.",
        );
    }
    let checked = check_password("oldPassword", field(&fields, "old_password"))
        .and_then(|()| check_password("newPassword", new));
    if let Err(e) = checked {
        return password_page(&session, status_of(&e), e.message());
    }
    let input = json!({
        "OldPassword": field(&fields, "old_password"),
        "NewPassword": new,
    });
    let permit = console.heavy.acquire().await.ok();
    let changed = call(&console, &req, &session, Action::ChangePassword, input).await;
    drop(permit);
    if let Err(e) = changed {
        return password_page(&session, status_of(&e), e.message());
    }
    if session.stage == Stage::ChangePassword {
        record(&console, &session.sign_in).await;
    }
    console.sessions.update(&id, |s| {
        s.stage = Stage::Active;
        s.sign_in.password_change = None;
    });
    let mut done = session;
    done.stage = Stage::Active;
    show(
        StatusCode::OK,
        &done,
        "Change password",
        &format!(
            "{}<p><a href=\"/console\">Continue</a></p>",
            notice("Your password has been changed.")
        ),
    )
}

pub(crate) async fn sign_out(
    State(console): State<Arc<Console>>,
    req: Req,
    body: Bytes,
) -> Response {
    let fields = form(&body);
    let all = [Stage::Mfa, Stage::ChangePassword, Stage::Active];
    let (id, _) = match posted(&console, &req, &fields, &all) {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    console.sessions.end(&id);
    redirect("/console/signin", &[cookie(&console, SESSION_COOKIE, None)])
}

// ---------------------------------------------------------------------------------------
// My security credentials

pub(crate) async fn credentials(State(console): State<Arc<Console>>, req: Req) -> Response {
    let (_, session) = match signed_in(&console, &req) {
        Ok(found) => found,
        Err(elsewhere) => return elsewhere,
    };
    credentials_page(&console, &req, &session, StatusCode::OK, String::new()).await
}

async fn credentials_page(
    console: &Arc<Console>,
    req: &Req,
    session: &ConsoleSession,
    status: StatusCode,
    message: String,
) -> Response {
    let csrf = csrf_field(&session.csrf);
    let mut body = message;
    body.push_str(
        "<h2>Password</h2><p><a href=\"/console/password\" id=\"change-password-link\">Change my password</a></p>\
         <h2>Access keys</h2>",
    );
    let mut status = status;
    match call(console, req, session, Action::ListAccessKeys, json!({})).await {
        Err(e) => {
            if status == StatusCode::OK {
                status = status_of(&e);
            }
            body.push_str(&error(e.message()));
        }
        Ok(listed) => {
            let keys = listed
                .get("AccessKeyMetadata")
                .unwrap_or(&Value::Null)
                .as_array()
                .cloned()
                .unwrap_or_default();
            if keys.is_empty() {
                body.push_str("<p id=\"no-keys\">You have no access keys.</p>");
            } else {
                body.push_str(
                    "<table id=\"access-keys\"><tr><th>Access key ID</th><th>Status</th><th>Created</th><th></th></tr>",
                );
                for key in &keys {
                    let id = esc(text(key, "AccessKeyId").unwrap_or_default());
                    let state = text(key, "Status").unwrap_or_default();
                    let toggle = if state == "Active" {
                        "Inactive"
                    } else {
                        "Active"
                    };
                    let verb = if state == "Active" {
                        "Deactivate"
                    } else {
                        "Activate"
                    };
                    let _ = write!(
                        body,
                        "<tr><td><code>{id}</code></td><td>{}</td><td>{}</td><td>\
                         <form class=\"inline\" method=\"post\" action=\"/console/credentials/keys/status\">{csrf}\
                         <input type=\"hidden\" name=\"access_key_id\" value=\"{id}\">\
                         <input type=\"hidden\" name=\"status\" value=\"{toggle}\">\
                         <button type=\"submit\">{verb}</button></form> \
                         <form class=\"inline\" method=\"post\" action=\"/console/credentials/keys/delete\">{csrf}\
                         <input type=\"hidden\" name=\"access_key_id\" value=\"{id}\">\
                         <button type=\"submit\">Delete</button></form></td></tr>",
                        esc(state),
                        esc(text(key, "CreateDate").unwrap_or_default()),
                    );
                }
                body.push_str("</table>");
            }
        }
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/console/credentials/keys\">{csrf}\
         <button type=\"submit\" id=\"create-access-key\">Create access key</button></form>"
    );
    mfa_section(console, req, session, &mut body).await;
    show(status, session, "My security credentials", &body)
}

pub(crate) async fn create_key(
    State(console): State<Arc<Console>>,
    req: Req,
    body: Bytes,
) -> Response {
    let fields = form(&body);
    let (_, session) = match posted(&console, &req, &fields, &[Stage::Active]) {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let (status, message) = match call(&console, &req, &session, Action::CreateAccessKey, json!({}))
        .await
    {
        Ok(created) => {
            let key = created.get("AccessKey").unwrap_or(&Value::Null);
            (
                StatusCode::OK,
                format!(
                    "<div class=\"notice\" id=\"new-key\"><p>Your new access key. This is the only time its secret is shown: keep it now.</p>\
                         <p>Access key ID: <code id=\"new-access-key-id\">{}</code></p>\
                         <p>Secret access key: <code id=\"new-secret-access-key\">{}</code></p></div>",
                    esc(text(key, "AccessKeyId").unwrap_or_default()),
                    esc(text(key, "SecretAccessKey").unwrap_or_default()),
                ),
            )
        }
        Err(e) => (status_of(&e), error(e.message())),
    };
    credentials_page(&console, &req, &session, status, message).await
}

/// An access key id as the model allows one (`[\w]+`, 16 to 128 characters).
fn valid_key_id(id: &str) -> bool {
    (16..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

pub(crate) async fn key_status(
    State(console): State<Arc<Console>>,
    req: Req,
    body: Bytes,
) -> Response {
    let fields = form(&body);
    let (_, session) = match posted(&console, &req, &fields, &[Stage::Active]) {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let key_id = field(&fields, "access_key_id");
    let status = field(&fields, "status");
    if !valid_key_id(key_id) || !matches!(status, "Active" | "Inactive") {
        let message = error("That is not an access key and a status.");
        return credentials_page(&console, &req, &session, StatusCode::BAD_REQUEST, message).await;
    }
    let input = json!({"AccessKeyId": key_id, "Status": status});
    let (code, message) = match call(&console, &req, &session, Action::UpdateAccessKey, input).await
    {
        Ok(_) => (
            StatusCode::OK,
            notice(&format!("Access key {key_id} is now {status}.")),
        ),
        Err(e) => (status_of(&e), error(e.message())),
    };
    credentials_page(&console, &req, &session, code, message).await
}

pub(crate) async fn delete_key(
    State(console): State<Arc<Console>>,
    req: Req,
    body: Bytes,
) -> Response {
    let fields = form(&body);
    let (_, session) = match posted(&console, &req, &fields, &[Stage::Active]) {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let key_id = field(&fields, "access_key_id");
    if !valid_key_id(key_id) {
        let message = error("That is not an access key.");
        return credentials_page(&console, &req, &session, StatusCode::BAD_REQUEST, message).await;
    }
    let input = json!({"AccessKeyId": key_id});
    let (code, message) = match call(&console, &req, &session, Action::DeleteAccessKey, input).await
    {
        Ok(_) => (
            StatusCode::OK,
            notice(&format!("Access key {key_id} was deleted.")),
        ),
        Err(e) => (status_of(&e), error(e.message())),
    };
    credentials_page(&console, &req, &session, code, message).await
}

// ---------------------------------------------------------------------------------------
// Users

pub(crate) async fn users(
    State(console): State<Arc<Console>>,
    req: Req,
    RawQuery(query): RawQuery,
) -> Response {
    let (_, session) = match signed_in(&console, &req) {
        Ok(found) => found,
        Err(elsewhere) => return elsewhere,
    };
    let query = form(query.unwrap_or_default().as_bytes());
    let filter = field(&query, "filter").to_owned();
    users_page(
        &console,
        &req,
        &session,
        StatusCode::OK,
        String::new(),
        &filter,
    )
    .await
}

async fn users_page(
    console: &Arc<Console>,
    req: &Req,
    session: &ConsoleSession,
    status: StatusCode,
    message: String,
    filter: &str,
) -> Response {
    let csrf = csrf_field(&session.csrf);
    let mut body = message;
    let _ = write!(
        body,
        "<form method=\"get\" action=\"/console/users\" id=\"filter-form\">\
         <label>Filter by name <input name=\"filter\" id=\"filter\" value=\"{}\"></label>\
         <button type=\"submit\">Filter</button></form>",
        esc(filter)
    );
    let mut status = status;
    match call(
        console,
        req,
        session,
        Action::ListUsers,
        json!({"MaxItems": 1000}),
    )
    .await
    {
        Err(e) => {
            if status == StatusCode::OK {
                status = status_of(&e);
            }
            body.push_str(&error(e.message()));
        }
        Ok(listed) => {
            let wanted = filter.to_lowercase();
            let users: Vec<&Value> = listed
                .get("Users")
                .unwrap_or(&Value::Null)
                .as_array()
                .map(|all| {
                    all.iter()
                        .filter(|u| {
                            u["UserName"]
                                .as_str()
                                .is_some_and(|n| n.to_lowercase().contains(&wanted))
                        })
                        .collect()
                })
                .unwrap_or_default();
            if users.is_empty() {
                body.push_str("<p id=\"no-users\">No users.</p>");
            } else {
                body.push_str(
                    "<table id=\"users\"><tr><th>User name</th><th>ARN</th><th>Created</th><th>Password last used</th><th></th></tr>",
                );
                for user in users {
                    let raw = text(user, "UserName").unwrap_or_default();
                    let name = esc(raw);
                    let link =
                        esc(&form_urlencoded::byte_serialize(raw.as_bytes()).collect::<String>());
                    let _ = write!(
                        body,
                        "<tr><td class=\"user-name\"><a href=\"/console/users/{link}\">{name}</a></td><td><code>{}</code></td><td>{}</td><td>{}</td><td>\
                         <form class=\"inline\" method=\"post\" action=\"/console/users/delete\">{csrf}\
                         <input type=\"hidden\" name=\"user_name\" value=\"{name}\">\
                         <button type=\"submit\">Delete</button></form></td></tr>",
                        esc(text(user, "Arn").unwrap_or_default()),
                        esc(text(user, "CreateDate").unwrap_or_default()),
                        esc(text(user, "PasswordLastUsed").unwrap_or("never")),
                    );
                }
                body.push_str("</table>");
            }
            if listed.get("IsTruncated").and_then(Value::as_bool) == Some(true) {
                body.push_str("<p>Only the first 1000 users are listed.</p>");
            }
        }
    }
    let _ = write!(
        body,
        "<h2>Create a user</h2><form method=\"post\" action=\"/console/users\" id=\"create-user-form\">{csrf}\
         <label>User name <input name=\"user_name\" id=\"new-user-name\" required></label>\
         <button type=\"submit\" id=\"create-user\">Create user</button></form>"
    );
    show(status, session, "Users", &body)
}

/// Characters of AWS's name pattern `[\w+=,.@-]`.
pub(crate) fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// Checks `value` against a member's constraints in AWS's model (length in characters and the
/// characters its pattern allows), as the API's decoder would before the operation: the
/// console calls the core directly, so what the API refuses must be refused here too. The
/// message is AWS's ValidationError; a `secret` value is not repeated in it.
pub(crate) fn validate(
    member: &str,
    value: &str,
    (min, max): (usize, usize),
    allowed: impl Fn(char) -> bool,
    pattern: &str,
    secret: bool,
) -> Result<(), Error> {
    let length = value.chars().count();
    let shown = if secret {
        String::new()
    } else {
        format!(" '{value}'")
    };
    let broken = if length < min {
        format!("Member must have length greater than or equal to {min}")
    } else if length > max {
        format!("Member must have length less than or equal to {max}")
    } else if !value.chars().all(allowed) {
        format!("Member must satisfy regular expression pattern: {pattern}")
    } else {
        return Ok(());
    };
    Err(Error::ValidationError(format!(
        "1 validation error detected: Value{shown} at '{member}' failed to satisfy constraint: {broken}"
    )))
}

/// A password as the model allows one: 1 to 512 of tab, line feed, carriage return and
/// U+0020 to U+00FF.
pub(crate) fn check_password(member: &str, value: &str) -> Result<(), Error> {
    validate(
        member,
        value,
        (1, 512),
        |c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}'),
        "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
        true,
    )
}

/// A user name as AWS's model allows one: 1 to 64 of `[\w+=,.@-]`; otherwise AWS's
/// ValidationError message.
pub(crate) fn check_user_name(name: &str) -> Result<(), Error> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c);
    if name.is_empty() || name.chars().count() > 64 || !name.chars().all(allowed) {
        return Err(Error::ValidationError(format!(
            "1 validation error detected: Value '{name}' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+ and have length between 1 and 64"
        )));
    }
    Ok(())
}

pub(crate) async fn create_user(
    State(console): State<Arc<Console>>,
    req: Req,
    body: Bytes,
) -> Response {
    user_change(console, req, body, Action::CreateUser).await
}

pub(crate) async fn delete_user(
    State(console): State<Arc<Console>>,
    req: Req,
    body: Bytes,
) -> Response {
    user_change(console, req, body, Action::DeleteUser).await
}

async fn user_change(console: Arc<Console>, req: Req, body: Bytes, action: Action) -> Response {
    let fields = form(&body);
    let (_, session) = match posted(&console, &req, &fields, &[Stage::Active]) {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let name = field(&fields, "user_name").trim();
    let outcome = match check_user_name(name) {
        Ok(()) => call(&console, &req, &session, action, json!({"UserName": name}))
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    let (status, message) = match outcome {
        Ok(()) if action == Action::CreateUser => {
            (StatusCode::OK, notice(&format!("User {name} was created.")))
        }
        Ok(()) => (StatusCode::OK, notice(&format!("User {name} was deleted."))),
        Err(e) => (status_of(&e), error(e.message())),
    };
    users_page(&console, &req, &session, status, message, "").await
}

// ---------------------------------------------------------------------------------------
// MFA enrolment (my security credentials)

/// Standard base64 decoded (the JSON form of a blob); `None` if it is not base64.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0u32;
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    for c in text.bytes().filter(|&c| c != b'=') {
        let value = ALPHABET.iter().position(|&a| a == c)?;
        bits = (bits << 6) | u32::try_from(value).ok()?;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from((bits >> count) & 0xff).ok()?);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}

/// The MFA section of "my security credentials": the principal's devices and the form that
/// starts enrolling a virtual one.
pub(crate) async fn mfa_section(
    console: &Arc<Console>,
    req: &Req,
    session: &ConsoleSession,
    body: &mut String,
) {
    body.push_str("<h2>Multi-factor authentication</h2>");
    match call(console, req, session, Action::ListMFADevices, json!({})).await {
        Err(e) => body.push_str(&error(e.message())),
        Ok(listed) => {
            let devices = listed
                .get("MFADevices")
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice);
            if devices.is_empty() {
                body.push_str("<p id=\"no-mfa\">No MFA device is assigned.</p>");
            } else {
                body.push_str("<ul id=\"mfa-devices\">");
                for device in devices {
                    let _ = write!(
                        body,
                        "<li><code>{}</code>, enabled {}</li>",
                        esc(text(device, "SerialNumber").unwrap_or_default()),
                        esc(text(device, "EnableDate").unwrap_or_default())
                    );
                }
                body.push_str("</ul>");
            }
        }
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/console/credentials/mfa\" id=\"mfa-create-form\">{}\
         <label>Virtual MFA device name <input name=\"device_name\" id=\"device_name\" required></label>\
         <button type=\"submit\" id=\"create-mfa\">Assign a virtual MFA device</button></form>",
        csrf_field(&session.csrf)
    );
}

/// Makes a virtual MFA device (CreateVirtualMFADevice) and shows its QR code and secret with
/// the form that enables it with two consecutive codes.
pub(crate) async fn create_mfa(
    State(console): State<Arc<Console>>,
    req: Req,
    body: Bytes,
) -> Response {
    let fields = form(&body);
    let (_, session) = match posted(&console, &req, &fields, &[Stage::Active]) {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let name = field(&fields, "device_name").trim();
    let pattern = "[\\w+=,.@-]+";
    if let Err(e) = validate(
        "virtualMFADeviceName",
        name,
        (1, 226),
        name_char,
        pattern,
        false,
    ) {
        return credentials_page(&console, &req, &session, status_of(&e), error(e.message())).await;
    }
    let input = json!({"VirtualMFADeviceName": name});
    let created = match call(
        &console,
        &req,
        &session,
        Action::CreateVirtualMFADevice,
        input,
    )
    .await
    {
        Ok(created) => created,
        Err(e) => {
            return credentials_page(&console, &req, &session, status_of(&e), error(e.message()))
                .await;
        }
    };
    let device = created.get("VirtualMFADevice").unwrap_or(&Value::Null);
    let serial = text(device, "SerialNumber").unwrap_or_default();
    let png = text(device, "QRCodePNG").unwrap_or_default();
    let seed = text(device, "Base32StringSeed")
        .and_then(base64_decode)
        .and_then(|s| String::from_utf8(s).ok())
        .unwrap_or_default();
    let body = format!(
        "<p>Scan this QR code with an authenticator app, or type in the secret key; then enter two consecutive codes.</p>\
         <p><img id=\"mfa-qr\" alt=\"QR code of the MFA device's secret\" src=\"data:image/png;base64,{}\"></p>\
         <p>Secret key: <code id=\"mfa-secret\">{}</code><br>Serial number: <code id=\"mfa-serial\">{}</code></p>\
         <form method=\"post\" action=\"/console/credentials/mfa/enable\" id=\"mfa-enable-form\">{}\
         <input type=\"hidden\" name=\"serial_number\" value=\"{}\">\
         <label>MFA code 1 <input name=\"mfa_code1\" id=\"mfa_code1\" inputmode=\"numeric\" required></label>\
         <label>MFA code 2 <input name=\"mfa_code2\" id=\"mfa_code2\" inputmode=\"numeric\" required></label>\
         <button type=\"submit\" id=\"enable-mfa\">Assign MFA</button></form>",
        esc(png),
        esc(&seed),
        esc(serial),
        csrf_field(&session.csrf),
        esc(serial),
    );
    show(
        StatusCode::OK,
        &session,
        "Assign a virtual MFA device",
        &body,
    )
}

/// Enables the device made by [`create_mfa`] for the signed-in principal: EnableMFADevice for
/// an IAM user, [`warden_core::Service::enable_root_mfa_device`] for the root user.
pub(crate) async fn enable_mfa(
    State(console): State<Arc<Console>>,
    req: Req,
    body: Bytes,
) -> Response {
    let fields = form(&body);
    let (_, session) = match posted(&console, &req, &fields, &[Stage::Active]) {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let serial = field(&fields, "serial_number").to_owned();
    let code1 = field(&fields, "mfa_code1").trim().to_owned();
    let code2 = field(&fields, "mfa_code2").trim().to_owned();
    let serial_char = |c: char| name_char(c) || c == '/' || c == ':';
    let digits = |c: char| c.is_ascii_digit();
    let valid = validate(
        "serialNumber",
        &serial,
        (9, 256),
        serial_char,
        "[\\w+=/:,.@-]+",
        false,
    )
    .and_then(|()| {
        validate(
            "authenticationCode1",
            &code1,
            (6, 6),
            digits,
            "[\\d]+",
            false,
        )
    })
    .and_then(|()| {
        validate(
            "authenticationCode2",
            &code2,
            (6, 6),
            digits,
            "[\\d]+",
            false,
        )
    });
    if let Err(e) = valid {
        return credentials_page(&console, &req, &session, status_of(&e), error(e.message())).await;
    }
    let outcome = if session.sign_in.caller.identity == Identity::Root {
        let service = Arc::clone(&console.service);
        let account = session.sign_in.caller.account.to_string();
        let (serial, code1, code2) = (serial.clone(), code1, code2);
        blocking(move || service.enable_root_mfa_device(&account, &serial, &code1, &code2))
            .await
            .unwrap_or_else(|| Err(Error::Internal("the console's call stopped".to_owned())))
    } else {
        // The user's own name: the last segment of its ARN.
        let arn = &session.sign_in.arn;
        let user_name = arn.rsplit('/').next().unwrap_or_default();
        let input = json!({
            "UserName": user_name,
            "SerialNumber": serial,
            "AuthenticationCode1": code1,
            "AuthenticationCode2": code2,
        });
        call(&console, &req, &session, Action::EnableMFADevice, input)
            .await
            .map(|_| ())
    };
    let (status, message) = match outcome {
        Ok(()) => (
            StatusCode::OK,
            notice(&format!(
                "MFA device {serial} is assigned: sign-in now asks for its code."
            )),
        ),
        Err(e) => (status_of(&e), error(e.message())),
    };
    credentials_page(&console, &req, &session, status, message).await
}
