//! The XML side of AWS's query protocol: a successful response, shaped by the operation's
//! output in the API model, and the `ErrorResponse` envelope.

mod conform;

use serde_json::Value;

use crate::model::{ListShape, MapShape, Model, Operation, Shape, StructureShape};

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
/// `output` is a JSON object keyed by the output shape's member names; members are written in
/// the model's order, absent and null ones skipped. Lists are `<Name><member>…</member></Name>`,
/// maps `<entry><key>…</key><value>…</value></entry>`, booleans `true`/`false`; timestamps
/// are written as given (ISO 8601 strings such as `2012-05-08T23:34:01Z`), blobs as given
/// (base64). Operations without output have no Result element.
pub fn encode(model: &Model, operation: &Operation, output: &Value, request_id: &str) -> String {
    let mut writer = Writer {
        model,
        xml: String::with_capacity(1024),
    };
    if cfg!(debug_assertions)
        && let Some(output_shape) = &operation.output
    {
        let departures = conform::departures(model, output_shape, output);
        assert!(
            departures.is_empty(),
            "{} answered members the model does not have:\n{}",
            operation.name,
            departures.join("\n")
        );
    }
    let name = operation.name.as_str();
    writer.open_with_namespace(&[name, "Response"], model.namespace());
    if let Some(Shape::Structure(shape)) = operation.output.as_deref().and_then(|s| model.shape(s))
    {
        match &operation.result_wrapper {
            Some(wrapper) => writer.open(wrapper),
            None => writer.open_parts(&[name, "Result"]),
        }
        writer.structure(shape, output);
        match &operation.result_wrapper {
            Some(wrapper) => writer.close(wrapper),
            None => writer.close_parts(&[name, "Result"]),
        }
    }
    writer.open("ResponseMetadata");
    writer.text_element("RequestId", request_id);
    writer.close("ResponseMetadata");
    writer.close_parts(&[name, "Response"]);
    writer.xml
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

struct Writer<'a> {
    model: &'a Model,
    xml: String,
}

impl Writer<'_> {
    fn structure(&mut self, shape: &StructureShape, value: &Value) {
        let Value::Object(object) = value else { return };
        for member in &shape.members {
            let Some(value) = object.get(&member.name).filter(|v| !v.is_null()) else {
                continue;
            };
            let element = member.location_name.as_deref().unwrap_or(&member.name);
            match self.model.shape(&member.shape) {
                Some(Shape::List(list)) if member.flattened || list.flattened => {
                    let element = list.member.location_name.as_deref().unwrap_or(element);
                    for item in value.as_array().into_iter().flatten() {
                        self.element(element, &list.member.shape, item);
                    }
                }
                Some(Shape::Map(map)) if member.flattened || map.flattened => {
                    for (key, item) in value.as_object().into_iter().flatten() {
                        self.open(element);
                        self.entry(map, key, item);
                        self.close(element);
                    }
                }
                _ => self.element(element, &member.shape, value),
            }
        }
    }

    /// `<element>value</element>`, the value written as shape `shape_name`.
    fn element(&mut self, element: &str, shape_name: &str, value: &Value) {
        self.open(element);
        self.content(shape_name, value);
        self.close(element);
    }

    fn content(&mut self, shape_name: &str, value: &Value) {
        match self.model.shape(shape_name) {
            Some(Shape::Structure(structure)) => self.structure(structure, value),
            Some(Shape::List(list)) => self.list(list, value),
            Some(Shape::Map(map)) => {
                for (key, item) in value.as_object().into_iter().flatten() {
                    self.open("entry");
                    self.entry(map, key, item);
                    self.close("entry");
                }
            }
            Some(Shape::String(_)) if shape_name == URL_ENCODED_SHAPE => {
                if let Some(text) = value.as_str() {
                    self.xml.push_str(&percent_encode(text));
                }
            }
            _ => self.scalar(value),
        }
    }

    fn list(&mut self, list: &ListShape, value: &Value) {
        let element = list.member.location_name.as_deref().unwrap_or("member");
        for item in value.as_array().into_iter().flatten() {
            self.element(element, &list.member.shape, item);
        }
    }

    fn entry(&mut self, map: &MapShape, key: &str, value: &Value) {
        let key_element = map.key.location_name.as_deref().unwrap_or("key");
        let value_element = map.value.location_name.as_deref().unwrap_or("value");
        self.text_element(key_element, key);
        self.element(value_element, &map.value.shape, value);
    }

    fn scalar(&mut self, value: &Value) {
        match value {
            Value::String(text) => escape_into(&mut self.xml, text),
            Value::Bool(true) => self.xml.push_str("true"),
            Value::Bool(false) => self.xml.push_str("false"),
            Value::Number(number) => self.xml.push_str(&number.to_string()),
            Value::Null | Value::Array(_) | Value::Object(_) => {}
        }
    }

    fn text_element(&mut self, element: &str, text: &str) {
        self.open(element);
        escape_into(&mut self.xml, text);
        self.close(element);
    }

    fn open(&mut self, element: &str) {
        self.xml.push('<');
        self.xml.push_str(element);
        self.xml.push('>');
    }

    /// `<` + the parts of the element's name + `>`.
    fn open_parts(&mut self, parts: &[&str]) {
        self.xml.push('<');
        parts.iter().for_each(|part| self.xml.push_str(part));
        self.xml.push('>');
    }

    fn close_parts(&mut self, parts: &[&str]) {
        self.xml.push_str("</");
        parts.iter().for_each(|part| self.xml.push_str(part));
        self.xml.push('>');
    }

    fn open_with_namespace(&mut self, parts: &[&str], namespace: &str) {
        self.xml.push('<');
        parts.iter().for_each(|part| self.xml.push_str(part));
        self.xml.push_str(" xmlns=\"");
        escape_into(&mut self.xml, namespace);
        self.xml.push_str("\">");
    }

    fn close(&mut self, element: &str) {
        self.xml.push_str("</");
        self.xml.push_str(element);
        self.xml.push('>');
    }
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

    fn iam(operation: &str, output: &Value) -> String {
        let model = Model::iam();
        encode(model, model.operation(operation).unwrap(), output, "req-1")
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
