//! SigV4 verification against AWS's documented examples, and every way a signature is refused.

use super::*;

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// 2015-08-30T12:36:00Z, the time of AWS's ListUsers example.
const T: i64 = 1_440_938_160;
const LIST_USERS_SIGNATURE: &str =
    "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
const CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

fn list_users_authorization() -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={AKID}/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature={LIST_USERS_SIGNATURE}"
    )
}

fn list_users_request<'a>(headers: &'a [(&'a str, &'a str)]) -> HttpRequest<'a> {
    HttpRequest {
        method: "GET",
        path: "/",
        query: "Action=ListUsers&Version=2010-05-08",
        headers,
        body: b"",
    }
}

fn parse_ok<'a>(request: &HttpRequest<'a>) -> SignedRequest<'a> {
    parse(request).unwrap().unwrap()
}

fn parse_err(request: &HttpRequest<'_>) -> SigV4Error {
    parse(request).unwrap_err()
}

/// Signs `request` as a client would (for cases that need a valid signature plus one defect);
/// the payload hash is the body's unless given.
fn authorization_for(
    request: &HttpRequest<'_>,
    signed_headers: &[&str],
    amz_date: &str,
    payload_hash: Option<&str>,
) -> String {
    let names: Vec<String> = signed_headers.iter().map(|n| n.to_string()).collect();
    let signature = signature_for(request, &names, amz_date, payload_hash, false);
    format!(
        "AWS4-HMAC-SHA256 Credential={AKID}/{}/us-east-1/iam/aws4_request, SignedHeaders={}, Signature={signature}",
        amz_date.get(..8).unwrap(),
        signed_headers.join(";")
    )
}

fn signature_for(
    request: &HttpRequest<'_>,
    signed_headers: &[String],
    amz_date: &str,
    payload_hash: Option<&str>,
    presigned: bool,
) -> String {
    let body_hash = canonical::sha256_hex(request.body);
    let mut creq = String::new();
    canonical::canonical_request_prefix(&mut creq, request, signed_headers, presigned).unwrap();
    creq.push_str(payload_hash.unwrap_or(body_hash.as_str()));
    let scope = [amz_date.get(..8).unwrap(), "us-east-1", "iam"];
    let mut sts = String::new();
    canonical::string_to_sign(
        &mut sts,
        amz_date,
        scope,
        canonical::sha256_hex(creq.as_bytes()).as_str(),
    );
    let key =
        keys::derive_signing_key(SECRET, amz_date.get(..8).unwrap(), "us-east-1", "iam").unwrap();
    canonical::hex(&keys::hmac_sha256(&key, sts.as_bytes()).unwrap())
}

/// A presigned query for `GET /?{params}` at `amz_date`, ending in `X-Amz-Signature`.
fn presigned_query(params: &str, amz_date: &str, expires: Option<i64>, body: &[u8]) -> String {
    let mut query = format!(
        "{params}&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={AKID}%2F{}%2Fus-east-1%2Fiam%2Faws4_request&X-Amz-Date={amz_date}&X-Amz-SignedHeaders=host",
        amz_date.get(..8).unwrap()
    );
    if let Some(expires) = expires {
        query.push_str(&format!("&X-Amz-Expires={expires}"));
    }
    let headers = [("Host", "iam.amazonaws.com")];
    let request = HttpRequest {
        method: "GET",
        path: "/",
        query: &query,
        headers: &headers,
        body,
    };
    let signature = signature_for(&request, &["host".to_owned()], amz_date, None, true);
    format!("{query}&X-Amz-Signature={signature}")
}

// ---- AWS's documented examples ----

/// AWS's SigV4 example: `GET https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08`.
#[test]
fn list_users_example_canonical_request_and_string_to_sign() {
    let headers = [
        ("Host", "iam.amazonaws.com"),
        ("Content-Type", CONTENT_TYPE),
        ("X-Amz-Date", "20150830T123600Z"),
    ];
    let request = list_users_request(&headers);
    let signed_headers = [
        "content-type".to_owned(),
        "host".to_owned(),
        "x-amz-date".to_owned(),
    ];
    let mut creq = String::new();
    canonical::canonical_request_prefix(&mut creq, &request, &signed_headers, false).unwrap();
    creq.push_str(canonical::sha256_hex(b"").as_str());
    assert_eq!(
        creq,
        "GET\n/\nAction=ListUsers&Version=2010-05-08\ncontent-type:application/x-www-form-urlencoded; charset=utf-8\nhost:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let creq_hash = canonical::sha256_hex(creq.as_bytes());
    assert_eq!(
        creq_hash.as_str(),
        "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
    );
    let mut sts = String::new();
    canonical::string_to_sign(
        &mut sts,
        "20150830T123600Z",
        ["20150830", "us-east-1", "iam"],
        creq_hash.as_str(),
    );
    assert_eq!(
        sts,
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\nf536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
    );
    let key = keys::derive_signing_key(SECRET, "20150830", "us-east-1", "iam").unwrap();
    assert_eq!(
        canonical::hex(&keys::hmac_sha256(&key, sts.as_bytes()).unwrap()),
        LIST_USERS_SIGNATURE
    );
}

#[test]
fn list_users_example_parses_and_verifies() {
    let authorization = list_users_authorization();
    let headers = [
        ("Host", "iam.amazonaws.com"),
        ("Content-Type", CONTENT_TYPE),
        ("X-Amz-Date", "20150830T123600Z"),
        ("Authorization", authorization.as_str()),
    ];
    let request = list_users_request(&headers);
    let signed = parse_ok(&request);
    assert_eq!(signed.access_key_id, AKID);
    assert_eq!(signed.date, "20150830");
    assert_eq!(signed.region, "us-east-1");
    assert_eq!(signed.service, "iam");
    assert_eq!(signed.timestamp, T);
    assert_eq!(signed.security_token, None);
    assert_eq!(signed.presigned_expires, None);
    assert!(!signed.is_presigned());
    assert_eq!(
        signed.signed_headers(),
        ["content-type", "host", "x-amz-date"]
    );

    let keys = SigningKeyCache::default();
    assert_eq!(verify(&request, &signed, SECRET, T + 60, &keys), Ok(()));
    assert_eq!(keys.len(), 1);
    // A second request with the same scope is served from the cache.
    assert_eq!(verify(&request, &signed, SECRET, T + 120, &keys), Ok(()));
    assert_eq!(keys.len(), 1);

    let err = verify(
        &request,
        &signed,
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ",
        T,
        &keys,
    )
    .unwrap_err();
    assert_eq!(err.code(), "SignatureDoesNotMatch");
    assert_eq!(err.message(), error::MSG_SIGNATURE_MISMATCH);
}

#[test]
fn list_users_example_fails_when_any_signed_part_changes() {
    let authorization = list_users_authorization();
    let keys = SigningKeyCache::default();
    let base = [
        ("Host", "iam.amazonaws.com"),
        ("Content-Type", CONTENT_TYPE),
        ("X-Amz-Date", "20150830T123600Z"),
        ("Authorization", authorization.as_str()),
    ];
    let check = |request: HttpRequest<'_>| {
        let signed = parse_ok(&request);
        verify(&request, &signed, SECRET, T, &keys)
            .unwrap_err()
            .code()
    };
    let mut headers = base;
    headers[0].1 = "iam.amazonaws.com:443";
    assert_eq!(check(list_users_request(&headers)), "SignatureDoesNotMatch");
    let mut headers = base;
    headers[1].1 = "application/x-www-form-urlencoded";
    assert_eq!(check(list_users_request(&headers)), "SignatureDoesNotMatch");
    let request = HttpRequest {
        query: "Action=ListUsers&Version=2010-05-09",
        ..list_users_request(&base)
    };
    assert_eq!(check(request), "SignatureDoesNotMatch");
    let request = HttpRequest {
        method: "POST",
        ..list_users_request(&base)
    };
    assert_eq!(check(request), "SignatureDoesNotMatch");
    let request = HttpRequest {
        path: "/x",
        ..list_users_request(&base)
    };
    assert_eq!(check(request), "SignatureDoesNotMatch");
    let request = HttpRequest {
        body: b"Action=DeleteUser",
        ..list_users_request(&base)
    };
    assert_eq!(check(request), "SignatureDoesNotMatch");
    // Unsigned headers may change freely.
    let headers = [
        base[0],
        base[1],
        base[2],
        base[3],
        ("User-Agent", "anything"),
    ];
    let request = list_users_request(&headers);
    let signed = parse_ok(&request);
    assert_eq!(verify(&request, &signed, SECRET, T, &keys), Ok(()));
}

#[test]
fn truncated_or_altered_signatures_do_not_match() {
    let keys = SigningKeyCache::default();
    for signature in [
        &LIST_USERS_SIGNATURE[..63],
        "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d70",
        "5D672D79C15B13162D9279B0855CFBA6789A8EDB4C82C400E06B5924A6F2B5D7",
        "0d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
        "x",
    ] {
        let authorization = list_users_authorization().replace(LIST_USERS_SIGNATURE, signature);
        let headers = [
            ("Host", "iam.amazonaws.com"),
            ("Content-Type", CONTENT_TYPE),
            ("X-Amz-Date", "20150830T123600Z"),
            ("Authorization", authorization.as_str()),
        ];
        let request = list_users_request(&headers);
        let signed = parse_ok(&request);
        let err = verify(&request, &signed, SECRET, T, &keys).unwrap_err();
        assert_eq!(err.code(), "SignatureDoesNotMatch", "{signature}");
    }
}

/// AWS's documented presigned URL example (S3 `GET /test.txt`, signed with `UNSIGNED-PAYLOAD`).
#[test]
fn documented_presigned_url_example_verifies() {
    let query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
    let headers = [("Host", "examplebucket.s3.amazonaws.com")];
    let request = HttpRequest {
        method: "GET",
        path: "/test.txt",
        query,
        headers: &headers,
        body: b"",
    };
    let signed = parse_ok(&request);
    assert!(signed.is_presigned());
    assert_eq!(signed.access_key_id, "AKIAIOSFODNN7EXAMPLE");
    assert_eq!(signed.service, "s3");
    assert_eq!(signed.presigned_expires, Some(86_400));
    let issued = 1_369_353_600; // 2013-05-24T00:00:00Z
    assert_eq!(signed.timestamp, issued);
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let keys = SigningKeyCache::default();
    assert_eq!(
        verify(&request, &signed, secret, issued + 3600, &keys),
        Ok(())
    );
    // Valid for its whole X-Amz-Expires, well past 15 minutes…
    assert_eq!(
        verify(&request, &signed, secret, issued + 86_400, &keys),
        Ok(())
    );
    // …and no longer.
    let err = verify(&request, &signed, secret, issued + 86_401, &keys).unwrap_err();
    assert_eq!(
        err,
        SigV4Error::RequestExpired("Request has expired".into())
    );
    assert_eq!(err.code(), "RequestExpired");
    let err = verify(&request, &signed, secret, issued - 16 * 60, &keys).unwrap_err();
    assert_eq!(
        err,
        SigV4Error::SignatureExpired(
            "Signature not yet current: 20130524T000000Z is still later than 20130523T235900Z (20130523T234400Z + 15 min.)".into()
        )
    );
    // A body added to a URL signed with UNSIGNED-PAYLOAD is not accepted.
    let with_body = HttpRequest {
        body: b"Action=DeleteUser",
        ..request
    };
    let err = verify(&with_body, &signed, secret, issued + 60, &keys).unwrap_err();
    assert_eq!(err.code(), "SignatureDoesNotMatch");
}

// ---- Unsigned and non-SigV4 requests ----

#[test]
fn requests_without_signature_are_unsigned() {
    let headers = [
        ("Host", "sts.amazonaws.com"),
        ("Content-Type", CONTENT_TYPE),
    ];
    let request = HttpRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body: b"Action=AssumeRoleWithWebIdentity&Version=2011-06-15&WebIdentityToken=eyJ",
    };
    assert_eq!(parse(&request), Ok(None));
    let headers = [("Host", "sts.amazonaws.com"), ("Authorization", "   ")];
    let request = HttpRequest {
        query: "Action=GetCallerIdentity&X-Amz-Date=20150830T123600Z",
        headers: &headers,
        ..request
    };
    assert_eq!(parse(&request), Ok(None));
}

#[test]
fn signature_version_2_is_refused() {
    let headers = [("Host", "iam.amazonaws.com")];
    let query = "AWSAccessKeyId=AKIDEXAMPLE&Action=ListUsers&SignatureMethod=HmacSHA256&SignatureVersion=2&Timestamp=2015-08-30T12%3A36%3A00Z&Version=2010-05-08&Signature=dGVzdA%3D%3D";
    let request = HttpRequest {
        method: "GET",
        path: "/",
        query,
        headers: &headers,
        body: b"",
    };
    let err = parse_err(&request);
    assert!(matches!(err, SigV4Error::InvalidAlgorithm(_)), "{err:?}");
    assert_eq!(err.code(), "IncompleteSignature");
    assert!(
        err.message().contains("Signature Version 2"),
        "{}",
        err.message()
    );

    let form = [
        ("Host", "iam.amazonaws.com"),
        ("Content-Type", CONTENT_TYPE),
    ];
    let request = HttpRequest {
        method: "POST",
        query: "",
        headers: &form,
        body: query.as_bytes(),
        ..request
    };
    assert!(matches!(
        parse_err(&request),
        SigV4Error::InvalidAlgorithm(_)
    ));
}

#[test]
fn other_algorithms_are_refused() {
    for (authorization, shown) in [
        (
            "AWS4-HMAC-SHA512 Credential=a/b/c/d/e, SignedHeaders=host, Signature=00",
            "AWS4-HMAC-SHA512",
        ),
        (
            "AWS4-ECDSA-P256-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=00",
            "AWS4-ECDSA-P256-SHA256",
        ),
        ("AWS AKIDEXAMPLE:dGVzdA==", "AWS"),
        ("Basic dXNlcjpwYXNz", "Basic"),
        (
            "AWS4-HMAC-SHA256Credential=a/b/c/d/e",
            "AWS4-HMAC-SHA256Credential=a/b/c/d/e",
        ),
    ] {
        let headers = [
            ("Host", "iam.amazonaws.com"),
            ("X-Amz-Date", "20150830T123600Z"),
            ("Authorization", authorization),
        ];
        let err = parse_err(&list_users_request(&headers));
        assert_eq!(
            err,
            SigV4Error::InvalidAlgorithm(format!(
                "Unsupported AWS 'algorithm': '{shown}' (only AWS4-HMAC-SHA256 for now)."
            ))
        );
    }
    let headers = [("Host", "iam.amazonaws.com")];
    let request = HttpRequest {
        query: "X-Amz-Algorithm=AWS4-HMAC-SHA1&X-Amz-Credential=a",
        ..list_users_request(&headers)
    };
    assert!(matches!(
        parse_err(&request),
        SigV4Error::InvalidAlgorithm(_)
    ));
}

// ---- Malformed Authorization headers ----

#[test]
fn authorization_without_parameters_names_each_missing_part() {
    let headers = [
        ("Host", "iam.amazonaws.com"),
        ("Authorization", "AWS4-HMAC-SHA256"),
    ];
    assert_eq!(
        parse_err(&list_users_request(&headers)),
        SigV4Error::IncompleteSignature(
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256".into()
        )
    );
    let headers = [
        ("Host", "iam.amazonaws.com"),
        ("X-Amz-Date", "20150830T123600Z"),
        (
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, Signature=",
        ),
    ];
    assert_eq!(
        parse_err(&list_users_request(&headers)),
        SigV4Error::IncompleteSignature(
            "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, Signature=".into()
        )
    );
}

#[test]
fn authorization_parameters_must_be_key_value_pairs() {
    let headers = [
        ("Host", "iam.amazonaws.com"),
        ("X-Amz-Date", "20150830T123600Z"),
        (
            "Authorization",
            "AWS4-HMAC-SHA256 Credential, SignedHeaders=host, Signature=00",
        ),
    ];
    assert_eq!(
        parse_err(&list_users_request(&headers)),
        SigV4Error::IncompleteSignature(
            "'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential, SignedHeaders=host, Signature=00'".into()
        )
    );
}

#[test]
fn authorization_parameters_may_be_separated_by_spaces_or_commas() {
    let authorization = list_users_authorization().replace(", ", " ");
    let headers = [
        ("Host", "iam.amazonaws.com"),
        ("Content-Type", CONTENT_TYPE),
        ("X-Amz-Date", "20150830T123600Z"),
        ("Authorization", authorization.as_str()),
    ];
    let request = list_users_request(&headers);
    let signed = parse_ok(&request);
    assert_eq!(
        verify(&request, &signed, SECRET, T, &SigningKeyCache::default()),
        Ok(())
    );
    let authorization = list_users_authorization().replace(", ", ",");
    let headers = [
        headers[0],
        headers[1],
        headers[2],
        ("Authorization", authorization.as_str()),
    ];
    let request = list_users_request(&headers);
    let signed = parse_ok(&request);
    assert_eq!(
        verify(&request, &signed, SECRET, T, &SigningKeyCache::default()),
        Ok(())
    );
}

#[test]
fn credential_must_have_five_parts() {
    for credential in [
        "AKIDEXAMPLE/20150830/us-east-1/iam",
        "AKIDEXAMPLE",
        "a/b/c/d/e/f",
    ] {
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host;x-amz-date, Signature=00"
        );
        let headers = [
            ("Host", "iam.amazonaws.com"),
            ("X-Amz-Date", "20150830T123600Z"),
            ("Authorization", authorization.as_str()),
        ];
        assert_eq!(
            parse_err(&list_users_request(&headers)),
            SigV4Error::IncompleteSignature(format!(
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
            ))
        );
    }
}

#[test]
fn malformed_dates_are_incomplete_signatures() {
    for date in ["2015-08-30T12:36:00Z", "20150830T123600", "yesterday"] {
        let authorization = list_users_authorization();
        let headers = [
            ("Host", "iam.amazonaws.com"),
            ("X-Amz-Date", date),
            ("Authorization", authorization.as_str()),
        ];
        assert_eq!(
            parse_err(&list_users_request(&headers)),
            SigV4Error::IncompleteSignature(format!(
                "Date must be in ISO-8601 'basic format'. Got '{date}'. See http://en.wikipedia.org/wiki/ISO_8601"
            ))
        );
    }
}

// ---- Signed headers ----

#[test]
fn host_must_be_signed() {
    for list in ["content-type;x-amz-date", "", "hostname;x-amz-date"] {
        let authorization =
            list_users_authorization().replace("content-type;host;x-amz-date", list);
        let headers = [
            ("Host", "iam.amazonaws.com"),
            ("X-Amz-Date", "20150830T123600Z"),
            ("Authorization", authorization.as_str()),
        ];
        assert_eq!(
            parse_err(&list_users_request(&headers)),
            SigV4Error::IncompleteSignature(
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".into()
            ),
            "{list}"
        );
    }
    let query = presigned_query("Action=ListUsers", "20150830T123600Z", Some(60), b"")
        .replace("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x-amz-date");
    let headers = [("Host", "iam.amazonaws.com")];
    let request = HttpRequest {
        method: "GET",
        path: "/",
        query: &query,
        headers: &headers,
        body: b"",
    };
    assert_eq!(parse_err(&request).code(), "IncompleteSignature");
}

#[test]
fn the_date_header_used_must_be_signed() {
    let authorization =
        list_users_authorization().replace("content-type;host;x-amz-date", "content-type;host");
    let headers = [
        ("Host", "iam.amazonaws.com"),
        ("X-Amz-Date", "20150830T123600Z"),
        ("Authorization", authorization.as_str()),
    ];
    assert_eq!(
        parse_err(&list_users_request(&headers)),
        SigV4Error::IncompleteSignature(
            "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.".into()
        )
    );
    let headers = [
        ("Host", "iam.amazonaws.com"),
        ("Date", "Sun, 30 Aug 2015 12:36:00 GMT"),
        ("Authorization", authorization.as_str()),
    ];
    assert_eq!(
        parse_err(&list_users_request(&headers)),
        SigV4Error::IncompleteSignature(
            "'Date' must be a 'SignedHeader' in the AWS Authorization.".into()
        )
    );
}

#[test]
fn too_many_signed_headers_are_refused() {
    let many: Vec<String> = (0..65).map(|i| format!("x-h{i}")).collect();
    let authorization = list_users_authorization().replace(
        "content-type;host;x-amz-date",
        &format!("host;x-amz-date;{}", many.join(";")),
    );
    let headers = [
        ("Host", "iam.amazonaws.com"),
        ("X-Amz-Date", "20150830T123600Z"),
        ("Authorization", authorization.as_str()),
    ];
    assert_eq!(
        parse_err(&list_users_request(&headers)).code(),
        "IncompleteSignature"
    );
}

#[test]
fn signed_header_names_are_case_insensitive_and_repeated_headers_join() {
    let amz_date = "20150830T123600Z";
    let headers = [
        ("host", "iam.amazonaws.com"),
        ("X-Amz-Date", amz_date),
        ("X-Custom", "  one   two "),
        ("x-custom", "three"),
    ];
    let request = list_users_request(&headers);
    let authorization = authorization_for(
        &request,
        &["host", "x-amz-date", "x-custom"],
        amz_date,
        None,
    )
    .replace("host;x-amz-date;x-custom", "Host;X-Amz-Date;X-Custom");
    let headers = [
        headers[0],
        headers[1],
        headers[2],
        headers[3],
        ("Authorization", authorization.as_str()),
    ];
    let request = list_users_request(&headers);
    let signed = parse_ok(&request);
    assert_eq!(signed.signed_headers(), ["host", "x-amz-date", "x-custom"]);
    assert_eq!(
        verify(&request, &signed, SECRET, T, &SigningKeyCache::default()),
        Ok(())
    );
    // The order of repeated values is signed.
    let swapped = [headers[0], headers[1], headers[3], headers[2], headers[4]];
    let request = list_users_request(&swapped);
    let err = verify(&request, &signed, SECRET, T, &SigningKeyCache::default()).unwrap_err();
    assert_eq!(err.code(), "SignatureDoesNotMatch");
}

// ---- Credential scope ----

#[test]
fn scope_date_must_be_the_request_day() {
    let authorization = list_users_authorization().replace("/20150830/", "/20150831/");
    let headers = [
        ("Host", "iam.amazonaws.com"),
        ("X-Amz-Date", "20150830T123600Z"),
        ("Authorization", authorization.as_str()),
    ];
    assert_eq!(
        parse_err(&list_users_request(&headers)),
        SigV4Error::SignatureDoesNotMatch(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150831' != '20150830', from '20150830T123600Z'.".into()
        )
    );
}

#[test]
fn scope_problems_are_reported_together() {
    let authorization = list_users_authorization().replace(
        "/20150830/us-east-1/iam/aws4_request",
        "/2015/US_EAST/iam/aws5_request",
    );
    let headers = [
        ("Host", "iam.amazonaws.com"),
        ("X-Amz-Date", "20150830T123600Z"),
        ("Authorization", authorization.as_str()),
    ];
    assert_eq!(
        parse_err(&list_users_request(&headers)),
        SigV4Error::SignatureDoesNotMatch(
            "Credential should be scoped to a valid region, not 'US_EAST'. Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '2015' != '20150830', from '20150830T123600Z'.".into()
        )
    );
}

#[test]
fn any_service_and_region_are_left_to_the_caller() {
    let amz_date = "20150830T123600Z";
    let headers = [("Host", "iam.amazonaws.com"), ("X-Amz-Date", amz_date)];
    let request = list_users_request(&headers);
    let authorization = authorization_for(&request, &["host", "x-amz-date"], amz_date, None)
        .replace("/us-east-1/iam/", "/eu-west-3/sts/");
    let headers = [
        headers[0],
        headers[1],
        ("Authorization", authorization.as_str()),
    ];
    let signed = parse_ok(&list_users_request(&headers));
    assert_eq!((&*signed.region, &*signed.service), ("eu-west-3", "sts"));
    assert_eq!(
        SigV4Error::wrong_service("iam").code(),
        "SignatureDoesNotMatch"
    );
}

// ---- Time ----

#[test]
fn skew_past_15_minutes_either_way_is_refused() {
    let authorization = list_users_authorization();
    let headers = [
        ("Host", "iam.amazonaws.com"),
        ("Content-Type", CONTENT_TYPE),
        ("X-Amz-Date", "20150830T123600Z"),
        ("Authorization", authorization.as_str()),
    ];
    let request = list_users_request(&headers);
    let signed = parse_ok(&request);
    let keys = SigningKeyCache::default();
    assert_eq!(
        verify(&request, &signed, SECRET, T + 15 * 60, &keys),
        Ok(())
    );
    assert_eq!(
        verify(&request, &signed, SECRET, T - 15 * 60, &keys),
        Ok(())
    );

    let late = verify(&request, &signed, SECRET, T + 16 * 60, &keys).unwrap_err();
    assert_eq!(
        late,
        SigV4Error::SignatureExpired(
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z (20150830T125200Z - 15 min.)".into()
        )
    );
    assert_eq!(late.code(), "SignatureDoesNotMatch");
    assert_eq!(late.http_status(), 403);

    let early = verify(&request, &signed, SECRET, T - 16 * 60, &keys).unwrap_err();
    assert_eq!(
        early,
        SigV4Error::SignatureExpired(
            "Signature not yet current: 20150830T123600Z is still later than 20150830T123500Z (20150830T122000Z + 15 min.)".into()
        )
    );
    assert_eq!(
        signed.check_time(T + 15 * 60 + 1).unwrap_err().code(),
        "SignatureDoesNotMatch"
    );
    assert!(signed.check_time(i64::MAX).is_err());
    assert!(signed.check_time(i64::MIN).is_err());
}

#[test]
fn date_header_in_http_format_is_accepted() {
    let date = "Sun, 30 Aug 2015 12:36:00 GMT";
    let headers = [("Host", "iam.amazonaws.com"), ("Date", date)];
    let request = list_users_request(&headers);
    let authorization = authorization_for(&request, &["date", "host"], "20150830T123600Z", None);
    let headers = [
        headers[0],
        headers[1],
        ("Authorization", authorization.as_str()),
    ];
    let request = list_users_request(&headers);
    let signed = parse_ok(&request);
    assert_eq!(signed.timestamp, T);
    assert_eq!(
        verify(&request, &signed, SECRET, T, &SigningKeyCache::default()),
        Ok(())
    );
}

// ---- Presigned requests ----

#[test]
fn presigned_requests_verify_and_expire() {
    let query = presigned_query(
        "Action=GetUser&Version=2010-05-08",
        "20150830T123600Z",
        Some(3600),
        b"",
    );
    let headers = [("Host", "iam.amazonaws.com")];
    let request = HttpRequest {
        method: "GET",
        path: "/",
        query: &query,
        headers: &headers,
        body: b"",
    };
    let signed = parse_ok(&request);
    assert_eq!(signed.presigned_expires, Some(3600));
    let keys = SigningKeyCache::default();
    assert_eq!(verify(&request, &signed, SECRET, T + 3600, &keys), Ok(()));
    assert_eq!(
        verify(&request, &signed, SECRET, T + 3601, &keys),
        Err(SigV4Error::RequestExpired("Request has expired".into()))
    );
    assert_eq!(
        verify(&request, &signed, SECRET, T - 16 * 60, &keys)
            .unwrap_err()
            .code(),
        "SignatureDoesNotMatch"
    );
    // Without X-Amz-Expires, the usual 15 minutes apply.
    let query = presigned_query(
        "Action=GetUser&Version=2010-05-08",
        "20150830T123600Z",
        None,
        b"",
    );
    let request = HttpRequest {
        query: &query,
        ..request
    };
    let signed = parse_ok(&request);
    assert_eq!(signed.presigned_expires, None);
    assert_eq!(
        verify(&request, &signed, SECRET, T + 15 * 60, &keys),
        Ok(())
    );
    assert!(matches!(
        verify(&request, &signed, SECRET, T + 16 * 60, &keys),
        Err(SigV4Error::SignatureExpired(_))
    ));
    // Tampering with a parameter breaks it.
    let tampered = query.replace("Action=GetUser", "Action=DeleteUser");
    let request = HttpRequest {
        query: &tampered,
        ..request
    };
    let signed = parse_ok(&request);
    assert_eq!(
        verify(&request, &signed, SECRET, T, &keys)
            .unwrap_err()
            .code(),
        "SignatureDoesNotMatch"
    );
}

#[test]
fn presigned_requests_name_missing_parameters() {
    let headers = [("Host", "iam.amazonaws.com")];
    let request = HttpRequest {
        method: "GET",
        path: "/",
        query: "Action=ListUsers&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fiam%2Faws4_request&X-Amz-SignedHeaders=",
        headers: &headers,
        body: b"",
    };
    assert_eq!(
        parse_err(&request),
        SigV4Error::IncompleteSignature(
            "AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.".into()
        )
    );
}

#[test]
fn presigned_expiry_must_be_between_one_second_and_a_week() {
    let headers = [("Host", "iam.amazonaws.com")];
    for (expires, ok) in [
        ("1", true),
        ("604800", true),
        ("0", false),
        ("-5", false),
        ("604801", false),
        ("soon", false),
        ("99999999999999999999", false),
    ] {
        let query = presigned_query("Action=ListUsers", "20150830T123600Z", None, b"")
            + "&X-Amz-Expires="
            + expires;
        let request = HttpRequest {
            method: "GET",
            path: "/",
            query: &query,
            headers: &headers,
            body: b"",
        };
        match parse(&request) {
            Ok(Some(signed)) => assert!(ok, "{expires} accepted as {:?}", signed.presigned_expires),
            Err(err) => {
                assert!(!ok, "{expires}: {err}");
                assert_eq!(err.code(), "IncompleteSignature");
            }
            Ok(None) => panic!("{expires}: unsigned"),
        }
    }
}

#[test]
fn header_and_query_signatures_together_are_refused() {
    let query = presigned_query("Action=ListUsers", "20150830T123600Z", Some(60), b"");
    let authorization = list_users_authorization();
    let headers = [
        ("Host", "iam.amazonaws.com"),
        ("X-Amz-Date", "20150830T123600Z"),
        ("Authorization", authorization.as_str()),
    ];
    let request = HttpRequest {
        method: "GET",
        path: "/",
        query: &query,
        headers: &headers,
        body: b"",
    };
    assert_eq!(
        parse_err(&request),
        SigV4Error::SignatureDoesNotMatch(
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.".into()
        )
    );
}

#[test]
fn presigned_session_token_is_read_from_the_query() {
    let query = presigned_query(
        "Action=GetCallerIdentity&X-Amz-Security-Token=FwoGZXIvYXdzE%2Bexample",
        "20150830T123600Z",
        Some(60),
        b"",
    );
    let headers = [("Host", "iam.amazonaws.com")];
    let request = HttpRequest {
        method: "GET",
        path: "/",
        query: &query,
        headers: &headers,
        body: b"",
    };
    let signed = parse_ok(&request);
    assert_eq!(
        signed.security_token.as_deref(),
        Some("FwoGZXIvYXdzE+example")
    );
    assert_eq!(
        verify(&request, &signed, SECRET, T, &SigningKeyCache::default()),
        Ok(())
    );
    let debug = format!("{signed:?}");
    assert!(!debug.contains("FwoGZXIvYXdzE"), "{debug}");
    assert!(debug.contains("<redacted>"), "{debug}");
}

// ---- Payload hash ----

#[test]
fn declared_payload_hash_must_match_the_body() {
    let amz_date = "20150830T123600Z";
    let body = b"Action=ListUsers&Version=2010-05-08";
    let body_hash = canonical::sha256_hex(body);
    let headers = [
        ("Host", "iam.amazonaws.com"),
        ("X-Amz-Date", amz_date),
        ("X-Amz-Content-Sha256", body_hash.as_str()),
    ];
    let request = HttpRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body,
    };
    let authorization = authorization_for(
        &request,
        &["host", "x-amz-content-sha256", "x-amz-date"],
        amz_date,
        None,
    );
    let headers = [
        headers[0],
        headers[1],
        headers[2],
        ("Authorization", authorization.as_str()),
    ];
    let request = HttpRequest {
        headers: &headers,
        ..request
    };
    let signed = parse_ok(&request);
    let keys = SigningKeyCache::default();
    assert_eq!(verify(&request, &signed, SECRET, T, &keys), Ok(()));

    let changed = HttpRequest {
        body: b"Action=ListUsers&Version=2010-05-09",
        ..request
    };
    assert_eq!(
        verify(&changed, &signed, SECRET, T, &keys),
        Err(SigV4Error::SignatureDoesNotMatch(
            "The provided 'x-amz-content-sha256' header does not match what was computed.".into()
        ))
    );
}

#[test]
fn header_signed_requests_cannot_leave_the_payload_unsigned() {
    let amz_date = "20150830T123600Z";
    let headers = [
        ("Host", "iam.amazonaws.com"),
        ("X-Amz-Date", amz_date),
        ("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD"),
    ];
    let request = HttpRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body: b"Action=DeleteUser&UserName=bob",
    };
    let authorization = authorization_for(
        &request,
        &["host", "x-amz-content-sha256", "x-amz-date"],
        amz_date,
        Some("UNSIGNED-PAYLOAD"),
    );
    let headers = [
        headers[0],
        headers[1],
        headers[2],
        ("Authorization", authorization.as_str()),
    ];
    let request = HttpRequest {
        headers: &headers,
        ..request
    };
    let signed = parse_ok(&request);
    assert_eq!(
        verify(&request, &signed, SECRET, T, &SigningKeyCache::default())
            .unwrap_err()
            .code(),
        "SignatureDoesNotMatch"
    );
}

// ---- Hostile input ----

#[test]
fn oversized_requests_are_refused_before_work() {
    let many: Vec<(&str, &str)> = vec![("X-Filler", "x"); 300];
    let request = list_users_request(&many);
    assert_eq!(parse_err(&request).code(), "IncompleteSignature");
    let long = format!("{} {}", list_users_authorization(), "x=y,".repeat(5000));
    let headers = [
        ("Host", "iam.amazonaws.com"),
        ("X-Amz-Date", "20150830T123600Z"),
        ("Authorization", long.as_str()),
    ];
    assert_eq!(
        parse_err(&list_users_request(&headers)).code(),
        "IncompleteSignature"
    );
}

/// A small deterministic generator: odd bytes in every field must never panic.
#[test]
fn arbitrary_input_never_panics() {
    struct Rng(u64, Vec<char>);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn text(&mut self, max: u64) -> String {
            let len = self.next() % max;
            (0..len)
                .map(|_| {
                    let pick = (self.next() % self.1.len() as u64) as usize;
                    self.1[pick]
                })
                .collect()
        }
    }
    let alphabet = "AWS4-HMAC-SHA256 Credential=/;,=%+&?#.. \t\u{0}ü☃hostx-amz-dateSignedHeadersSignature0123456789abcdefTZ";
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15, alphabet.chars().collect());
    let keys = SigningKeyCache::new(4);
    let mut verified = 0;
    for _ in 0..3000 {
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date{}, Signature=0{}",
            rng.text(8),
            rng.text(60)
        );
        let fields = [rng.text(40), rng.text(40), rng.text(40), rng.text(80)];
        let date = if rng.next().is_multiple_of(2) {
            "20150830T123600Z".to_owned()
        } else {
            rng.text(20)
        };
        let headers = [
            ("Host", fields[0].as_str()),
            ("X-Amz-Date", date.as_str()),
            ("Authorization", authorization.as_str()),
            (fields[1].as_str(), fields[2].as_str()),
        ];
        let query = if rng.next().is_multiple_of(3) {
            format!("X-Amz-Algorithm=AWS4-HMAC-SHA256&{}", fields[3])
        } else {
            fields[3].clone()
        };
        let request = HttpRequest {
            method: &fields[1],
            path: &fields[2],
            query: &query,
            headers: &headers,
            body: fields[0].as_bytes(),
        };
        if let Ok(Some(signed)) = parse(&request) {
            let result = verify(&request, &signed, SECRET, T, &keys);
            assert!(result.is_err());
            verified += 1;
        }
    }
    assert!(verified > 40, "only {verified} requests reached verify");
}
