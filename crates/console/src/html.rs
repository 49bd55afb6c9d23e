//! The pages' HTML: escaping (every name shown is user data) and the one layout every page
//! shares. No templates and no JavaScript: strings built here, embedded in the binary.

use std::fmt::Write as _;

/// `text` escaped for HTML element content and double- or single-quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#16191f}\
header{background:#232f3e;color:#fff;padding:.6em 1em;display:flex;gap:1em;align-items:center;flex-wrap:wrap}\
header a{color:#fff}header .arn{font-family:monospace;margin-left:auto}\
main{padding:1em 2em;max-width:70em}label{display:block;margin:.5em 0}\
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}\
.error{color:#b0141c;border:1px solid #b0141c;padding:.5em;background:#fdf3f3}\
.notice{border:1px solid #0a7;padding:.5em;background:#f2fbf7}\
form.inline{display:inline}pre{background:#f4f4f4;padding:.5em;overflow:auto}";

/// A whole page: `title`, and `body` (already escaped HTML). `signed_in` is the principal's
/// ARN and the session's CSRF token, for the header with the "Sign out" button.
pub fn page(title: &str, signed_in: Option<(&str, &str)>, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 2048);
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>{} - Warden console</title><style>{STYLE}</style></head><body><header>\
         <strong>Warden</strong>",
        esc(title)
    );
    if let Some((arn, csrf)) = signed_in {
        let _ = write!(
            out,
            "<a href=\"/console\">Home</a><a href=\"/console/users\">Users</a><a href=\"/console/groups\">Groups</a>\
             <a href=\"/console/roles\">Roles</a><a href=\"/console/policies\">Policies</a>\
             <a href=\"/console/simulate\">Policy simulator</a>\
             <a href=\"/console/credentials\">My security credentials</a>\
             <span class=\"arn\" id=\"principal-arn\">{}</span>\
             <form class=\"inline\" method=\"post\" action=\"/console/signout\">{}\
             <button type=\"submit\" id=\"sign-out\">Sign out</button></form>",
            esc(arn),
            csrf_field(csrf)
        );
    }
    let _ = write!(
        out,
        "</header><main><h1>{}</h1>{body}</main></body></html>",
        esc(title)
    );
    out
}

/// The hidden field that carries a form's CSRF token.
pub fn csrf_field(token: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        esc(token)
    )
}

/// An error box (the text escaped).
pub fn error(message: &str) -> String {
    format!(
        "<p class=\"error\" role=\"alert\" id=\"error\">{}</p>",
        esc(message)
    )
}

/// A notice box (the text escaped).
pub fn notice(message: &str) -> String {
    format!("<p class=\"notice\" id=\"notice\">{}</p>", esc(message))
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup() {
        assert_eq!(
            super::esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
