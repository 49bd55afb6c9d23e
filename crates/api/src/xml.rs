//! The XML side of AWS's query protocol: a successful response, shaped by the operation's
//! output in the API model, and the `ErrorResponse` envelope.

mod shaped;

use serde::Serialize;
use warden_core::wire::Output;

use crate::model::{Model, Operation, Shape};
use shaped::Writer;

/// The shape IAM gives every policy document. AWS sends these URL-encoded (RFC 3986) inside
/// the XML, and clients decode them: botocore's `json_decode_policies` handler decodes every
/// output member of this shape, wherever it sits (`GetUserPolicy.PolicyDocument`,
/// `Role.AssumeRolePolicyDocument` in CreateRole/GetRole/ListRoles/…, `PolicyVersion.Document`,
/// the policy lists of GetAccountAuthorizationDetails).
const URL_ENCODED_SHAPE: &str = "policyDocumentType";

/// Who is at fault for an error: the `<Type>` of the envelope. `Sender` goes with 4xx
/// statuses, `Receiver` with 5xx.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Sender,
    Receiver,
}

/// The response to a successful call of `operation`: `<OpResponse xmlns="NS"><OpResult>…
/// </OpResult><ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></OpResponse>`.
///
/// `output` is the operation's output (a typed output or a JSON object) with the output
/// shape's member names; members are written in the model's order, absent and null ones
/// skipped. Lists are `<Name><member>…</member></Name>`, maps
/// `<entry><key>…</key><value>…</value></entry>`, booleans `true`/`false`; timestamps are
/// written as given (ISO 8601 strings such as `2012-05-08T23:34:01Z`), blobs as given
/// (base64). Operations without output have no Result element.
///
/// A member the model lacks, or a value its shape cannot hold, is not written; debug builds
/// (every test suite, the end-to-end one included) refuse such an output, so a member spelt
/// differently from the model's cannot silently vanish from responses.
pub fn encode<T: Serialize + ?Sized>(
    model: &Model,
    operation: &Operation,
    output: &T,
    request_id: &str,
) -> Result<String, warden_core::Error> {
    let (xml, departures) = write(model, operation, output, request_id)?;
    assert!(
        !cfg!(debug_assertions) || departures.is_empty(),
        "{} answered what the model does not have:\n{}",
        operation.name,
        departures.join("\n")
    );
    Ok(xml)
}

/// Where the core writes a successful call's output: the response's XML, straight from the
/// typed output.
#[derive(Debug, Clone, Copy)]
pub struct XmlOutput<'a> {
    pub model: &'a Model,
    pub operation: &'a Operation,
    pub request_id: &'a str,
}

impl Output for XmlOutput<'_> {
    type Written = String;

    fn write<O: Serialize>(self, output: &O) -> Result<String, warden_core::Error> {
        encode(self.model, self.operation, output, self.request_id)
    }
}

/// The response, and where the output departs from the model.
fn write<T: Serialize + ?Sized>(
    model: &Model,
    operation: &Operation,
    output: &T,
    request_id: &str,
) -> Result<(String, Vec<String>), warden_core::Error> {
    let mut writer = Writer::new(model, 1024);
    let name = operation.name.as_str();
    open_with_namespace(&mut writer.xml, &[name, "Response"], model.namespace());
    if let Some(shape_name) = operation.output.as_deref()
        && let Some(Shape::Structure(_)) = model.shape(shape_name)
    {
        match &operation.result_wrapper {
            Some(wrapper) => writer.open(wrapper),
            None => open_parts(&mut writer.xml, &[name, "Result"]),
        }
        writer
            .members(shape_name, output)
            .map_err(|e| warden_core::Error::Internal(format!("encoding a response: {e}")))?;
        match &operation.result_wrapper {
            Some(wrapper) => writer.close(wrapper),
            None => close_parts(&mut writer.xml, &[name, "Result"]),
        }
    }
    writer.open("ResponseMetadata");
    writer.open("RequestId");
    escape_into(&mut writer.xml, request_id);
    writer.close("RequestId");
    writer.close("ResponseMetadata");
    close_parts(&mut writer.xml, &[name, "Response"]);
    Ok((writer.xml, writer.departures))
}

/// AWS's error envelope: `<ErrorResponse xmlns="NS"><Error><Type>Sender</Type><Code>…</Code>
/// <Message>…</Message></Error><RequestId>…</RequestId></ErrorResponse>`.
pub fn error_xml(
    namespace: &str,
    kind: ErrorKind,
    code: &str,
    message: &str,
    request_id: &str,
) -> String {
    let mut xml = String::with_capacity(256 + message.len());
    xml.push_str("<ErrorResponse xmlns=\"");
    escape_into(&mut xml, namespace);
    xml.push_str("\"><Error><Type>");
    xml.push_str(match kind {
        ErrorKind::Sender => "Sender",
        ErrorKind::Receiver => "Receiver",
    });
    xml.push_str("</Type><Code>");
    escape_into(&mut xml, code);
    xml.push_str("</Code><Message>");
    escape_into(&mut xml, message);
    xml.push_str("</Message></Error><RequestId>");
    escape_into(&mut xml, request_id);
    xml.push_str("</RequestId></ErrorResponse>");
    xml
}

/// `<` + the parts of the element's name + `>`.
fn open_parts(xml: &mut String, parts: &[&str]) {
    xml.push('<');
    parts.iter().for_each(|part| xml.push_str(part));
    xml.push('>');
}

fn close_parts(xml: &mut String, parts: &[&str]) {
    xml.push_str("</");
    parts.iter().for_each(|part| xml.push_str(part));
    xml.push('>');
}

fn open_with_namespace(xml: &mut String, parts: &[&str], namespace: &str) {
    xml.push('<');
    parts.iter().for_each(|part| xml.push_str(part));
    xml.push_str(" xmlns=\"");
    escape_into(xml, namespace);
    xml.push_str("\">");
}

/// Escapes text for XML element content and attribute values. `\r` becomes a character
/// reference so that parsers keep it; characters XML 1.0 cannot carry at all (most C0
/// controls, U+FFFE, U+FFFF) become U+FFFD.
fn escape_into(out: &mut String, text: &str) {
    // Most text needs no escaping: printable ASCII and UTF-8 sequences that cannot be U+FFFE
    // or U+FFFF (both start with the byte 0xEF) are copied at once.
    let plain = |b: &u8| {
        (0x20..0xEF).contains(b) && !matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'')
            || *b > 0xEF
            || matches!(b, b'\t' | b'\n')
    };
    if text.as_bytes().iter().all(plain) {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            '\t' | '\n' => out.push(c),
            '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
            _ => out.push(c),
        }
    }
}

/// RFC 3986 percent-encoding, as AWS encodes policy documents: every UTF-8 byte but the
/// unreserved `A-Z a-z 0-9 - . _ ~` becomes `%XX` (so a space is `%20` and `*` is `%2A`).
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(hex_digit(byte >> 4));
            out.push(hex_digit(byte & 0x0F));
        }
    }
    out
}

fn hex_digit(nibble: u8) -> char {
    char::from_digit(u32::from(nibble), 16).map_or('0', |digit| digit.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use serde_json::Value;

    fn iam(operation: &str, output: &Value) -> String {
        let model = Model::iam();
        encode(model, model.operation(operation).unwrap(), output, "req-1").unwrap()
    }

    #[test]
    fn operations_without_output_have_no_result() {
        assert_eq!(
            iam("DeleteUser", &json!({})),
            "<DeleteUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
             <ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></DeleteUserResponse>"
        );
    }

    #[test]
    fn members_follow_the_model_order_and_skip_nulls() {
        let output =
            json!({"IsTruncated": false, "Users": [{"UserName": "bob", "Path": "/", "Arn": null}]});
        assert_eq!(
            iam("ListUsers", &output),
            "<ListUsersResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ListUsersResult>\
             <Users><member><Path>/</Path><UserName>bob</UserName></member></Users>\
             <IsTruncated>false</IsTruncated></ListUsersResult>\
             <ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></ListUsersResponse>"
        );
    }

    /// A typed output whose fields come in another order than the model's members, with an
    /// absent member and a map.
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Listed {
        is_truncated: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        marker: Option<String>,
        users: Vec<ListedUser>,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct ListedUser {
        arn: String,
        user_name: String,
        path: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        permissions_boundary: Option<String>,
        tags: Vec<String>,
    }

    #[test]
    fn typed_outputs_are_written_as_their_json_values_are() {
        let output = Listed {
            is_truncated: true,
            marker: None,
            users: vec![ListedUser {
                arn: "arn:aws:iam::123456789012:user/b&b".to_owned(),
                user_name: "b&b".to_owned(),
                path: "/".to_owned(),
                permissions_boundary: None,
                tags: Vec::new(),
            }],
        };
        let model = Model::iam();
        let operation = model.operation("ListUsers").unwrap();
        let typed = encode(model, operation, &output, "req-1").unwrap();
        let json = iam("ListUsers", &serde_json::to_value(&output).unwrap());
        assert_eq!(typed, json);
        assert!(
            typed.contains(
                "<Users><member><Path>/</Path><UserName>b&amp;b</UserName>\
                 <Arn>arn:aws:iam::123456789012:user/b&amp;b</Arn><Tags></Tags></member></Users>\
                 <IsTruncated>true</IsTruncated></ListUsersResult>"
            ),
            "{typed}"
        );
        // In key order: serde_json keeps objects in insertion order when another crate of the
        // build asks it to.
        let summary = serde_json::json!({"SummaryMap": {"Groups": 0, "Users": 2}});
        assert!(iam("GetAccountSummary", &summary).contains(
            "<SummaryMap><entry><key>Groups</key><value>0</value></entry>\
                 <entry><key>Users</key><value>2</value></entry></SummaryMap>"
        ));
    }

    #[test]
    fn members_and_values_the_model_lacks_are_departures() {
        let model = Model::iam();
        let output = serde_json::json!({"User": {
            "Path": "/", "Username": "lee", "UserId": 7,
            "Tags": [{"Key": "team", "Valu": "blue"}],
        }});
        let (xml, mut departures) =
            write(model, model.operation("GetUser").unwrap(), &output, "r").unwrap();
        departures.sort();
        assert_eq!(
            departures,
            [
                "Tag: Valu: not a member of Tag",
                "User: Username: not a member of User",
                "idType: idType cannot hold an integer",
            ]
        );
        assert!(xml.contains("<User><Path>/</Path><UserId>7</UserId><Tags><member><Key>team</Key></member></Tags></User>"), "{xml}");
    }

    #[test]
    fn policy_documents_are_percent_encoded() {
        let output = json!({"UserName": "u", "PolicyName": "p",
            "PolicyDocument": "{\"Action\": \"s3:*\", \"Resource\": \"arn:aws:s3:::b/~x\"}"});
        let xml = iam("GetUserPolicy", &output);
        assert!(
            xml.contains(
                "<PolicyDocument>%7B%22Action%22%3A%20%22s3%3A%2A%22%2C%20%22Resource%22%3A%20\
                 %22arn%3Aaws%3As3%3A%3A%3Ab%2F~x%22%7D</PolicyDocument>"
            ),
            "{xml}"
        );
        assert_eq!(percent_encode("é"), "%C3%A9");
    }

    #[test]
    fn text_is_escaped() {
        let mut out = String::new();
        escape_into(&mut out, "a&b<c>d\"e'f\r\n\t\u{1}\u{FFFF}g");
        assert_eq!(
            out,
            "a&amp;b&lt;c&gt;d&quot;e&apos;f&#xD;\n\t\u{FFFD}\u{FFFD}g"
        );
    }

    #[test]
    fn text_without_special_characters_is_copied_as_it_is() {
        for text in [
            "arn:aws:iam::123456789012:user/a/b",
            "é 😀 \u{FFFD} \u{7F} tab\tline\n",
            "",
        ] {
            let mut out = String::from("<");
            escape_into(&mut out, text);
            assert_eq!(out, format!("<{text}"));
        }
    }

    #[test]
    fn errors_use_the_aws_envelope() {
        assert_eq!(
            error_xml(
                "https://sts.amazonaws.com/doc/2011-06-15/",
                ErrorKind::Sender,
                "ValidationError",
                "Value 'a<b' at 'roleArn' failed",
                "r"
            ),
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
             <Code>ValidationError</Code><Message>Value &apos;a&lt;b&apos; at &apos;roleArn&apos; failed</Message>\
             </Error><RequestId>r</RequestId></ErrorResponse>"
        );
    }
}
