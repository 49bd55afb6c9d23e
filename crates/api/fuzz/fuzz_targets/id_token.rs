//! Fuzz target for the reading of ID tokens, which AssumeRoleWithWebIdentity takes from
//! callers without credentials: any bytes (invalid UTF-8 replaced) as a token, checked as that
//! operation checks it against the fixed keys of `jwks.json` (warden-core's test keys `rsa-a`,
//! for RS256 and RS384, and `ec-p256`) for the client id `app`.
//!
//! Nobody here holds those keys, so a token that is accepted must carry the signed part
//! (header and claims, as sent) of one of the tokens signed with them in `seeds/id_token/`,
//! and say what that token says. Checking twice gives the same answer.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use warden_core::fuzzing::{IdToken, IdTokenKeys, check_id_token};

const JWKS: &str = include_str!("../jwks.json");
/// Tokens signed with the keys of the JWKS (`rs256-other-key.jwt` is not).
const SIGNED: [&str; 4] = [
    include_str!("../seeds/id_token/rs256-a.jwt"),
    include_str!("../seeds/id_token/rs384-a.jwt"),
    include_str!("../seeds/id_token/es256-e.jwt"),
    include_str!("../seeds/id_token/rs256-no-kid.jwt"),
];
/// 2026-01-01T00:00:00Z: the seeds were issued ten seconds before.
const NOW: i64 = 1_767_225_600;

struct Fixture {
    keys: IdTokenKeys,
    client_ids: Vec<String>,
    /// The signed parts of the tokens in `SIGNED`, and what they say.
    genuine: Vec<(&'static str, IdToken)>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let keys = match IdTokenKeys::from_jwks(JWKS) {
            Ok(keys) => keys,
            Err(error) => panic!("the fixed JWKS does not read: {error}"),
        };
        assert_eq!(keys.len(), 3, "every key of the fixed JWKS must read");
        let client_ids = vec!["app".to_owned()];
        let genuine = SIGNED
            .iter()
            .map(
                |token| match check_id_token(token, &keys, &client_ids, NOW) {
                    Ok(accepted) => (signed_part(token), accepted),
                    Err(error) => panic!("a seed signed with the fixed keys is refused: {error:?}"),
                },
            )
            .collect();
        Fixture {
            keys,
            client_ids,
            genuine,
        }
    })
}

/// What a token's signature covers: its header and claims as sent.
fn signed_part(token: &str) -> &str {
    token.rsplit_once('.').map_or(token, |(signed, _)| signed)
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    let token = String::from_utf8_lossy(data);
    let outcome = check_id_token(&token, &fixture.keys, &fixture.client_ids, NOW);
    assert_eq!(
        outcome,
        check_id_token(&token, &fixture.keys, &fixture.client_ids, NOW),
        "checking twice gives different answers"
    );
    if let Ok(accepted) = outcome {
        let signed = signed_part(&token);
        assert!(
            fixture
                .genuine
                .iter()
                .any(|(part, said)| *part == signed && *said == accepted),
            "a token nobody signed was accepted: {token}"
        );
    }
});
