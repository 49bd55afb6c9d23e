//! Fuzz target for the SigV4 parser, which reads every request's `Authorization` header or
//! presigned query before the caller is known. The input is a request as text: a line each
//! for the method, the path and the query string, then `name: value` header lines up to an
//! empty line, then the body.
//!
//! Parsing is deterministic; a signature that parses has a credential scope whose date is the
//! day of the request's time and a presigned lifetime within AWS's bounds; and it never
//! verifies with a secret nobody signed with, however the request was made.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use warden_api::sigv4::{HttpRequest, MAX_PRESIGNED_EXPIRES_SECS, SigningKeyCache, parse, verify};

/// No seed was signed with it.
const UNUSED_SECRET: &str = "fuzz/unused/secret/0000000000000000000000";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let method = lines.next().unwrap_or_default();
    let path = lines.next().unwrap_or_default();
    let query = lines.next().unwrap_or_default();
    let mut headers = Vec::new();
    for line in lines.by_ref() {
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        headers.push((name, value.trim_start()));
    }
    let body: Vec<&str> = lines.collect();
    let body = body.join("\n");
    let request = HttpRequest {
        method,
        path,
        query,
        headers: &headers,
        body: body.as_bytes(),
    };
    let parsed = parse(&request);
    assert_eq!(parsed, parse(&request), "parsing is not deterministic");
    let Ok(Some(signed)) = parsed else {
        return;
    };
    assert_eq!(signed.date.len(), 8, "scope date {}", signed.date);
    let day = signed.timestamp.div_euclid(86_400);
    assert_eq!(
        signed.date,
        ymd(day),
        "the scope's date is not the day of the request's time"
    );
    if let Some(expires) = signed.presigned_expires {
        assert!(
            (1..=MAX_PRESIGNED_EXPIRES_SECS).contains(&expires),
            "X-Amz-Expires {expires}"
        );
    }
    // The key id is the scope's first element: it may be empty (no key has that id, so
    // authentication refuses it as it does any unknown key), but never holds a slash.
    assert!(!signed.access_key_id.contains('/'));
    for now in [signed.timestamp, signed.timestamp + 60] {
        assert!(
            verify(&request, &signed, UNUSED_SECRET, now, keys()).is_err(),
            "a request verified with a secret nobody signed with"
        );
    }
});

fn keys() -> &'static SigningKeyCache {
    static KEYS: OnceLock<SigningKeyCache> = OnceLock::new();
    KEYS.get_or_init(SigningKeyCache::default)
}

/// `YYYYMMDD` of the day `days` after 1970-01-01 (the civil calendar, written here rather
/// than taken from the crate under test).
fn ymd(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}{month:02}{day:02}")
}
