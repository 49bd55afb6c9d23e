//! ID token checks against tokens signed here with fixed test keys.

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::*;

const RSA_A: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc/rsa-a.der"));
const RSA_B: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc/rsa-b.der"));
const EC: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/oidc/ec-p256.der"
));
const NOW: i64 = 1_767_225_600;
const ISSUER: &str = "https://issuer.example.com";

fn key(der: &[u8], alg: Algorithm) -> EncodingKey {
    match alg {
        Algorithm::ES256 => EncodingKey::from_ec_der(der),
        _ => EncodingKey::from_rsa_der(der),
    }
}

fn jwk(der: &[u8], alg: Algorithm, kid: Option<&str>) -> Jwk {
    let mut jwk = Jwk::from_encoding_key(&key(der, alg), alg).unwrap();
    jwk.common.key_id = kid.map(str::to_owned);
    jwk
}

fn claims() -> Value {
    json!({
        "iss": ISSUER, "sub": "user-123456", "aud": "app", "amr": ["pwd", "mfa"],
        "iat": NOW - 10, "exp": NOW + 600,
    })
}

fn sign(claims: &Value, der: &[u8], alg: Algorithm, kid: Option<&str>) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &key(der, alg)).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

fn verify(token: &str, keys: &[Jwk]) -> Result<Claims, Error> {
    let unverified = peek(token)?;
    verify_signature(token, &unverified.header, keys)?;
    Ok(unverified.claims)
}

#[test]
fn a_good_token_verifies_and_reads() {
    let token = sign(&claims(), RSA_A, Algorithm::RS256, Some("a"));
    let keys = [
        jwk(RSA_B, Algorithm::RS256, Some("b")),
        jwk(RSA_A, Algorithm::RS256, Some("a")),
    ];
    let claims = verify(&token, &keys).unwrap();
    assert_eq!(claims.iss, ISSUER);
    assert_eq!(claims.subject().unwrap(), "user-123456");
    assert_eq!(claims.amr, ["pwd", "mfa"]);
    assert_eq!(
        claims.audience(&["other".into(), "app".into()]).unwrap(),
        "app"
    );
    claims.check_time(NOW).unwrap();
}

#[test]
fn es256_tokens_verify_too() {
    let token = sign(&claims(), EC, Algorithm::ES256, Some("ec"));
    verify(&token, &[jwk(EC, Algorithm::ES256, Some("ec"))]).unwrap();
    let error = verify(&token, &[jwk(RSA_A, Algorithm::RS256, Some("ec"))]).unwrap_err();
    assert_eq!(error.code(), "InvalidIdentityToken");
}

#[test]
fn a_token_without_kid_is_tried_against_every_key() {
    let token = sign(&claims(), RSA_B, Algorithm::RS256, None);
    let keys = [
        jwk(RSA_A, Algorithm::RS256, Some("a")),
        jwk(RSA_B, Algorithm::RS256, Some("b")),
    ];
    verify(&token, &keys).unwrap();
    assert!(verify(&token, &keys[..1]).is_err());
}

#[test]
fn tampered_tokens_are_refused() {
    let keys = [jwk(RSA_A, Algorithm::RS256, Some("a"))];
    let token = sign(&claims(), RSA_A, Algorithm::RS256, Some("a"));
    let parts: Vec<&str> = token.split('.').collect();
    let mut forged = claims();
    forged["sub"] = json!("admin-000001");
    let swapped = format!(
        "{}.{}.{}",
        parts[0],
        b64(forged.to_string().as_bytes()),
        parts[2]
    );
    let error = verify(&swapped, &keys).unwrap_err();
    assert_eq!(error.code(), "InvalidIdentityToken");
    assert!(error.message().contains("signature"), "{error}");
    let mut signature = parts[2].to_owned();
    let last = if signature.ends_with('A') { "B" } else { "A" };
    signature.replace_range(signature.len() - 1.., last);
    let flipped = format!("{}.{}.{signature}", parts[0], parts[1]);
    assert_eq!(
        verify(&flipped, &keys).unwrap_err().code(),
        "InvalidIdentityToken"
    );
    let other_key = sign(&claims(), RSA_B, Algorithm::RS256, Some("a"));
    assert_eq!(
        verify(&other_key, &keys).unwrap_err().code(),
        "InvalidIdentityToken"
    );
}

#[test]
fn an_unknown_kid_has_no_key() {
    let token = sign(&claims(), RSA_A, Algorithm::RS256, Some("new"));
    let error = verify(&token, &[jwk(RSA_A, Algorithm::RS256, Some("old"))]).unwrap_err();
    assert!(
        error
            .message()
            .starts_with("Couldn't retrieve verification key"),
        "{error}"
    );
}

#[test]
fn alg_none_and_hmac_are_refused_before_any_key() {
    let header = b64(br#"{"alg":"none","typ":"JWT"}"#);
    let body = b64(claims().to_string().as_bytes());
    let error = peek(&format!("{header}.{body}.")).unwrap_err();
    assert_eq!(error.code(), "InvalidIdentityToken");
    // The classic confusion: HMAC keyed with the issuer's public key.
    let hmac = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(),
        &EncodingKey::from_secret(b"public key bytes"),
    )
    .unwrap();
    let error = peek(&hmac).unwrap_err();
    assert!(error.message().contains("not supported"), "{error}");
    assert_eq!(
        peek("not-a-jwt").unwrap_err().code(),
        "InvalidIdentityToken"
    );
}

#[test]
fn a_key_for_another_algorithm_does_not_verify() {
    let token = sign(&claims(), RSA_A, Algorithm::RS256, Some("a"));
    let mut key = jwk(RSA_A, Algorithm::RS256, Some("a"));
    key.common.key_algorithm = Some(Algorithm::RS512.into());
    assert!(verify(&token, &[key]).is_err());
}

#[test]
fn the_audience_is_azp_when_present_else_aud() {
    let mut claims = claims();
    let read = |c: &Value| Claims::read(c).unwrap();
    assert_eq!(
        read(&claims)
            .audience(&["other".into()])
            .unwrap_err()
            .message(),
        "Incorrect token audience"
    );
    claims["aud"] = json!(["x", "app"]);
    assert_eq!(read(&claims).audience(&["app".into()]).unwrap(), "app");
    claims["azp"] = json!("web");
    assert!(read(&claims).audience(&["app".into()]).is_err());
    assert_eq!(read(&claims).audience(&["web".into()]).unwrap(), "web");
}

#[test]
fn the_validity_window_has_a_small_skew() {
    let mut claims = claims();
    claims["exp"] = json!(NOW - 30);
    Claims::read(&claims).unwrap().check_time(NOW).unwrap();
    claims["exp"] = json!(NOW - SKEW);
    let error = Claims::read(&claims).unwrap().check_time(NOW).unwrap_err();
    assert_eq!(error.code(), "ExpiredTokenException");
    assert_eq!(
        error.message(),
        format!(
            "Token expired: current date/time {NOW} must be before the expiration date/time {}",
            NOW - SKEW
        )
    );
    claims["exp"] = json!(NOW + 600);
    claims["nbf"] = json!(NOW + 120);
    let error = Claims::read(&claims).unwrap().check_time(NOW).unwrap_err();
    assert!(
        error.message().starts_with("Token not yet valid"),
        "{error}"
    );
    claims["nbf"] = json!(NOW + 30);
    claims["iat"] = json!(NOW + 300);
    let error = Claims::read(&claims).unwrap().check_time(NOW).unwrap_err();
    assert_eq!(error.code(), "InvalidIdentityToken");
    claims.as_object_mut().unwrap().remove("exp");
    claims["iat"] = json!(NOW);
    let error = Claims::read(&claims).unwrap().check_time(NOW).unwrap_err();
    assert_eq!(error.message(), "Missing a required claim: exp");
}

#[test]
fn timestamps_must_be_integers_and_subjects_present() {
    let mut claims = claims();
    claims["exp"] = json!(1.5e9);
    assert_eq!(
        Claims::read(&claims).unwrap_err().code(),
        "InvalidIdentityToken"
    );
    claims["exp"] = json!(NOW + 60);
    claims.as_object_mut().unwrap().remove("sub");
    assert!(Claims::read(&claims).unwrap().subject().is_err());
    claims.as_object_mut().unwrap().remove("iss");
    assert!(Claims::read(&claims).is_err());
}
